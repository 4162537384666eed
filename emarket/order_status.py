"""The order's state machine: its statuses and the only transitions allowed (docs/api.md)."""
from __future__ import annotations

from db.emarket import ORDER_STATUSES

STATUSES = ORDER_STATUSES
ACCEPTED, PROCESSING, AWAITING_PAYMENT, PAYMENT_STARTED, COMPLETED, CANCELLED = STATUSES

FINAL = frozenset({COMPLETED, CANCELLED})
# Where phase 1 has settled: the order awaits payment, or went past that, or was cancelled.
PHASE1_SETTLED = frozenset({AWAITING_PAYMENT, PAYMENT_STARTED, COMPLETED, CANCELLED})

TRANSITIONS: dict[str, frozenset[str]] = {
    ACCEPTED: frozenset({PROCESSING, CANCELLED}),
    PROCESSING: frozenset({AWAITING_PAYMENT, CANCELLED}),
    AWAITING_PAYMENT: frozenset({PAYMENT_STARTED, CANCELLED}),
    PAYMENT_STARTED: frozenset({COMPLETED, CANCELLED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}

REASONS = frozenset({"out_of_stock", "unknown_product", "payment_timeout",
                     "insufficient_funds", "cancelled_by_user", "failed"})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def sources_of(target: str) -> tuple[str, ...]:
    """Every status from which ``target`` may be reached."""
    return tuple(sorted(s for s, targets in TRANSITIONS.items() if target in targets))
