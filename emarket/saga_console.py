"""What the operators' saga console reads: orders counted by status, the stuck sagas (the same
rule as ``emarket saga stuck`` and the sweep), and one saga in full — its order, lines and
every event with the step run that recorded it. Read only; any order, whoever owns it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from db.emarket import Order, OrderItem, SagaEvent
from db.unit_of_work import UnitOfWork
from emarket import order as orders
from emarket.order_status import TRANSITIONS
from emarket.queries import valid_order_id
from emarket.timefmt import rfc3339


@dataclass(frozen=True)
class StuckSaga:
    order_id: str
    status: str
    since: str
    user_id: int


def counts_by_status(uow: UnitOfWork) -> dict[str, int]:
    """Every status with its number of orders (zeros included), in the saga's order. One
    GROUP BY on the (status, updated_at) index."""
    found = dict(uow.session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    return {status: found.get(status, 0) for status in TRANSITIONS}


def stuck_sagas(uow: UnitOfWork, older_than_seconds: float, limit: int = 100) -> list[StuckSaga]:
    return [StuckSaga(o.id, o.status, rfc3339(o.updated_at) or "", o.user_id)
            for o in orders.stuck(uow, older_than_seconds, limit=limit)]


def recent(uow: UnitOfWork, limit: int = 15, status: str | None = None) -> list[dict[str, Any]]:
    """The sagas that moved last, newest first (only those in ``status``, if given). One short
    backward scan of the (status, updated_at) index per status, merged here: no sort of the
    whole order table, however large."""
    rows: list[Order] = []
    for each in [status] if status in TRANSITIONS else TRANSITIONS:
        rows += uow.session.scalars(select(Order).where(Order.status == each)
                                    .order_by(Order.updated_at.desc()).limit(limit)).all()
    rows = sorted(rows, key=lambda o: o.updated_at, reverse=True)[:limit]
    return [{"id": o.id, "status": o.status, "reason": o.reason, "user_id": o.user_id,
             "updated_at": rfc3339(o.updated_at)} for o in rows]


# Shoppers see an order's first 8 characters; an operator may paste those or any longer prefix.
MIN_PREFIX = 8
_PREFIX = re.compile(rf"[0-9a-f-]{{{MIN_PREFIX},36}}")


def find_by_prefix(uow: UnitOfWork, text: str, limit: int = 10) -> list[str] | None:
    """The ids of the orders whose id starts with ``text`` (at most ``limit``), or None when
    ``text`` cannot be the start of an order id (too short, or not hex digits and dashes)."""
    wanted = text.strip().lower()
    if not _PREFIX.fullmatch(wanted):
        return None
    if valid_order_id(wanted) is not None:
        return [wanted] if uow.session.get(Order, wanted) is not None else []
    # The ids are canonical lowercase UUID text. LIKE, not a range on the key: a locale's
    # collation orders the dashes in ways a range cannot rely on. An operator's rare search may
    # scan the table; the shop's paths never do.
    return list(uow.session.scalars(select(Order.id).where(Order.id.startswith(wanted, autoescape=True))
                                    .order_by(Order.id).limit(limit)))


def saga(uow: UnitOfWork, order_id: str) -> dict[str, Any] | None:
    """One order's saga, or None if there is no such order."""
    canonical = valid_order_id(order_id.strip())
    order = uow.session.get(Order, canonical) if canonical else None
    if order is None:
        return None
    items = uow.session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)
                                .order_by(OrderItem.product_id)).all()
    events = uow.session.scalars(select(SagaEvent).where(SagaEvent.order_id == order.id)
                                 .order_by(SagaEvent.at, SagaEvent.id)).all()
    started = events[0].at if events else order.created_at
    return {
        "id": order.id, "user_id": order.user_id, "status": order.status, "reason": order.reason,
        "failure_reason": order.failure_reason, "total": order.total, "correlation_id": order.correlation_id,
        "created_at": rfc3339(order.created_at), "updated_at": rfc3339(order.updated_at),
        "payment_deadline": rfc3339(order.payment_deadline),
        "items": [{"product_id": i.product_id, "quantity": i.quantity, "price": i.price} for i in items],
        "events": [{"name": e.name, "detail": e.detail or "", "at": rfc3339(e.at),
                    "elapsed": (e.at - started).total_seconds(), "task_id": e.task_id, "worker": e.worker,
                    "attempt": e.attempt, "error": e.error} for e in events],
    }


def is_stuck(uow: UnitOfWork, order_id: str, older_than_seconds: float) -> bool:
    return bool(orders.stuck(uow, older_than_seconds, limit=1, order_id=order_id))
