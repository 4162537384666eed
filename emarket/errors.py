"""Domain errors. Each carries a ``reason`` code (docs/api.md's snake_case words) and a detail.

They are plain ``Exception`` subclasses whose ``args`` are ``(reason, detail)``, so Celery's
JSON result serialisation rebuilds them with type and reason intact on the other side of a
queue (``exception_to_python`` calls ``cls(*args)``).
"""
from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. Never retried: the saga compensates at once."""

    default_reason = "failed"

    def __init__(self, reason: str | None = None, detail: str = ""):
        reason = reason or self.default_reason
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


class NotFound(DomainError):
    default_reason = "not_found"


class OutOfStock(DomainError):
    default_reason = "out_of_stock"


class UnknownProduct(DomainError):
    default_reason = "unknown_product"


class InsufficientFunds(DomainError):
    default_reason = "insufficient_funds"


class InvalidTransition(DomainError):
    """The order (or top-up) is not in a status this step may move it from."""

    default_reason = "invalid_transition"


class IdempotencyConflict(DomainError):
    """An Idempotency-Key reused with another body (docs/api.md: 422)."""

    default_reason = "idempotency_key_reused"


class Conflict(DomainError):
    """A unique fact already exists (an email taken, …)."""

    default_reason = "conflict"


class TransientError(Exception):
    """Worth retrying: a dependency hiccup (database, broker, the bank timing out)."""
