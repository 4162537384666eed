"""The bank's own refusals, beyond the shared domain errors."""
from __future__ import annotations

from emarket.errors import DomainError


class HoldCaptured(DomainError):
    """The hold was captured: it cannot be released (docs/api.md: 409)."""

    default_reason = "hold_captured"
