"""Is an order's saga timeline a valid path through the state machine?

The statuses come from ``emarket.order_status`` and the event names from
``emarket.saga_events``: the status-changing events must follow the allowed transitions, every
other event must happen where its step runs (a reservation only once payment started, a
refund only after a charge), and the books must balance at the end (a cancelled order that
was charged was refunded; one that reserved stock released it).
"""
from __future__ import annotations

from emarket import order_status as st
from emarket import saga_events

# The events that move the order, and the status each one moves it to.
STATUS_OF = {"accepted": st.ACCEPTED, "registered": st.PROCESSING, "awaiting_payment": st.AWAITING_PAYMENT,
             "payment_started": st.PAYMENT_STARTED, "completed": st.COMPLETED, "cancelled": st.CANCELLED}
# Every other event needs one of these to have happened before it (its step runs after it).
NEEDS = {
    "stock_checked": "registered",
    "stock_reserved": "payment_started",
    "money_charged": "stock_reserved",
    "registration_failed": "accepted",
    "stock_check_failed": "registered",
    "stock_reservation_failed": "payment_started",
    "charge_failed": "payment_started",
    "completion_failed": "payment_started",
    "money_refunded": "money_charged",
    "stock_released": "stock_reserved",
}
# What undoes what: at the end of a cancelled order each of these is undone.
UNDONE_BY = {"money_charged": "money_refunded", "stock_reserved": "stock_released"}

assert set(STATUS_OF) | set(NEEDS) == set(saga_events.ALL), "an event the validator does not know"


def problems(events: list[tuple[str, str]], status: str, reason: str | None) -> list[str]:
    """Everything wrong with one order's timeline (``(name, detail)`` in time order), given
    the order's final ``status`` and ``reason``; an empty list if it is a valid path."""
    found: list[str] = []
    names = [name for name, _ in events]
    if not names or names[0] != "accepted":
        found.append(f"starts with {names[:1]} instead of accepted")
    repeated = {n for n in names if names.count(n) > 1}
    if repeated:
        found.append(f"repeated events {sorted(repeated)}")
    current: str | None = None
    seen: set[str] = set()
    for name, _detail in events:
        if name not in saga_events.ALL:
            found.append(f"unknown event {name!r}")
        elif name in STATUS_OF:
            target = STATUS_OF[name]
            if current is None and target != st.ACCEPTED:
                found.append(f"{name} before accepted")
            elif current is not None and not st.can_move(current, target):
                found.append(f"{name}: {current} → {target} is not a transition")
            current = target
        else:
            if NEEDS[name] not in seen:
                found.append(f"{name} before {NEEDS[name]}")
            if current == st.COMPLETED:
                found.append(f"{name} after completed")
            if name == "stock_checked" and current != st.PROCESSING:
                found.append(f"stock_checked while {current}")
        seen.add(name)
    if current != status:
        found.append(f"the timeline ends {current}, the order is {status}")
    if status == st.CANCELLED:
        detail = dict(events).get("cancelled")
        if detail != reason:
            found.append(f"cancelled event says {detail!r}, the order's reason is {reason!r}")
        for done, undo in UNDONE_BY.items():
            if done in seen and undo not in seen:
                found.append(f"cancelled with {done} not undone ({undo} missing)")
    if status == st.COMPLETED:
        for needed in ("payment_started", "stock_reserved", "money_charged"):
            if needed not in seen:
                found.append(f"completed without {needed}")
        wrong = seen & (set(saga_events.FAILURES) | {"money_refunded", "stock_released"})
        if wrong:
            found.append(f"completed with {sorted(wrong)}")
    return found
