"""Saga events: the order's timeline, one row per step done, failed or compensated.

Each name happens at most once per order (a unique constraint), so recording is idempotent:
a redelivered step records nothing new. ``at`` never decreases along one order's timeline,
even when steps run on machines whose clocks differ slightly.
"""
from __future__ import annotations

from sqlalchemy import String, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from db.base import UTCDateTime, utcnow
from db.emarket import SagaEvent
from db.unit_of_work import UnitOfWork

# Names, as API.md lists them.
FORWARD = ("accepted", "registered", "stock_checked", "awaiting_payment",
           "payment_started", "stock_reserved", "money_charged", "completed")
FAILURES = ("registration_failed", "stock_check_failed", "stock_reservation_failed",
            "charge_failed", "completion_failed")
COMPENSATIONS = ("stock_released", "money_refunded", "cancelled")
ALL = FORWARD + FAILURES + COMPENSATIONS


def record(uow: UnitOfWork, order_id: str, name: str, detail: str = "") -> bool:
    """True if this call recorded the event (False: it was there already)."""
    if name not in ALL:
        raise ValueError(f"unknown saga event {name!r}")
    now = utcnow()
    if uow.dialect == "postgresql":
        # One round trip instead of two: the order's latest time is read by the INSERT itself
        # (an aggregate without GROUP BY always yields one row, also for the first event).
        at = func.greatest(literal(now, UTCDateTime), func.coalesce(func.max(SagaEvent.at), literal(now, UTCDateTime)))
        source = select(literal(order_id, String), literal(name, String), literal(detail[:500], String), at) \
            .where(SagaEvent.order_id == order_id)
        statement = postgresql.insert(SagaEvent).from_select(["order_id", "name", "detail", "at"], source)
    else:
        latest = uow.session.scalar(select(func.max(SagaEvent.at)).where(SagaEvent.order_id == order_id))
        at = max(now, latest) if latest is not None else now
        statement = sqlite.insert(SagaEvent).values(order_id=order_id, name=name, detail=detail[:500], at=at)
    return uow.session.execute(statement.on_conflict_do_nothing(index_elements=["order_id", "name"])).rowcount == 1


def names(uow: UnitOfWork, order_id: str) -> list[str]:
    return list(uow.session.scalars(
        select(SagaEvent.name).where(SagaEvent.order_id == order_id).order_by(SagaEvent.at, SagaEvent.id)))

