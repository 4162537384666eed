"""Morder's steps: place, register, await payment, start payment, complete, cancel.

Every status change is a compare-and-set (``UPDATE … WHERE status IN (expected)``): the
payment clock, the user's cancel and the start of payment race, and the loser changes nothing.
Every step is idempotent: a redelivered message finds its own result and passes it on.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from db.base import utcnow
from db.emarket import Order, OrderItem
from db.stores import orders
from db.unit_of_work import UnitOfWork
from emarket import order_moves, saga_events
from emarket import order_status as st
from emarket.errors import InvalidTransition, NotFound
from emarket.order_moves import move as _cas
from emarket.saga_context import SagaContext


@dataclass(frozen=True)
class Placed:
    order_id: str
    ctx: SagaContext


def saga_context(order: Order, items: list[OrderItem]) -> SagaContext:
    """What the steps of other services need, carried in the messages (ids and numbers only)."""
    return SagaContext(order_id=order.id, user_id=order.user_id, total=order.total, cid=order.correlation_id,
                       items=tuple((item.product_id, item.quantity) for item in sorted(items, key=lambda i: i.product_id)))


def _load(uow: UnitOfWork, order_id: str) -> Order:
    order = uow.session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise NotFound("not_found", f"order {order_id}")
    return order


def _items(uow: UnitOfWork, order_id: str) -> list[OrderItem]:
    return list(uow.session.scalars(select(OrderItem).where(OrderItem.order_id == order_id)))


def exists(uow: UnitOfWork, order_id: str) -> bool:
    return uow.session.scalar(select(Order.id).where(Order.id == order_id)) is not None


def context_of(uow: UnitOfWork, order_id: str) -> SagaContext:
    return saga_context(_load(uow, order_id), _items(uow, order_id))


def reason_of(uow: UnitOfWork, order_id: str) -> str:
    """Why the order was cancelled (or claimed for compensation); ``failed`` if it says nothing."""
    order = _load(uow, order_id)
    return order.reason or order.failure_reason or "failed"


def place(uow: UnitOfWork, user_id: int, items: list[dict[str, Any]], correlation_id: str | None = None) -> Placed:
    """Store the order as ``accepted`` with its first event, before the client hears back.
    (A request's Idempotency-Key is claimed around this, in the same transaction:
    ``emarket.idempotency``.)"""
    order = Order(id=str(uuid.uuid4()), user_id=user_id, status=st.ACCEPTED,
                  correlation_id=correlation_id or str(uuid.uuid4()))
    now = utcnow()
    order.created_at = order.updated_at = now
    uow.session.add(order)
    uow.session.flush()
    rows = [OrderItem(order_id=order.id, product_id=int(i["product_id"]), quantity=int(i["quantity"])) for i in items]
    uow.session.add_all(rows)
    saga_events.record(uow, order.id, "accepted")
    return Placed(order.id, saga_context(order, rows))


# Forward steps move an order only while no compensation has claimed it (see
# ``claim_for_compensation``): their compare-and-sets hold ``when=_UNCLAIMED``.
_UNCLAIMED = ("not_claimed_for_compensation",)


def register(uow: UnitOfWork, order_id: str) -> None:
    """accepted → processing ("create order" → "created order", as docs/architecture.md names the first steps)."""
    if _cas(uow, order_id, st.PROCESSING, (st.ACCEPTED,), when=_UNCLAIMED, event="registered"):
        return
    order = _load(uow, order_id)
    if order.status == st.CANCELLED or order.failure_reason is not None:
        raise InvalidTransition("failed", f"order is {order.status}")  # nothing left to do


def await_payment(uow: UnitOfWork, order_id: str, prices: Mapping[int, int] | Mapping[str, int], timeout_seconds: int,
                  items: Sequence[Sequence[int]] | None = None) -> datetime:
    """processing → awaiting_payment: price the items, fix the total, start the payment clock.
    Returns the deadline (also for a redelivery that finds it already set). ``prices`` are unit
    prices by product id (an int, or a string as JSON keys come). ``items`` are the order's
    ``(product_id, quantity)`` pairs as the saga context carries them (read from the order when
    not given)."""
    if items is None:
        items = [[item.product_id, item.quantity] for item in _items(uow, order_id)]
    by_id = {int(product_id): int(price) for product_id, price in prices.items()}
    unit_prices = {int(product_id): by_id[int(product_id)] for product_id, _ in items}
    total = sum(unit_prices[int(product_id)] * int(quantity) for product_id, quantity in items)
    deadline = utcnow() + timedelta(seconds=timeout_seconds)

    if _cas(uow, order_id, st.AWAITING_PAYMENT, (st.PROCESSING,), when=_UNCLAIMED, total=total,
            payment_deadline=deadline, event="awaiting_payment", detail=f"deadline {deadline.isoformat()}",
            prices=unit_prices):
        return deadline
    # Not processing (any more): my own earlier result, or a twin of this step (a duplicate
    # message, a redelivery while the first copy still ran) priced the order first — its
    # result is mine. Failing then would compensate, and the phase-1 cancel would hit an order
    # the user may already be paying.
    order = _load(uow, order_id)
    if order.payment_deadline is not None:
        return order.payment_deadline
    raise InvalidTransition("failed", f"order is {order.status}")


_START: dict[str, Any] = {"target": st.PAYMENT_STARTED, "sources": (st.AWAITING_PAYMENT,), "when": ("owned", "before_deadline")}


def start_payment(uow: UnitOfWork, order_id: str, user_id: int, request_id: str) -> tuple[str, SagaContext | None]:
    """awaiting_payment → payment_started, if the deadline has not passed.

    Outcomes: ``started`` (this request won — also for a redelivery of the same request),
    ``already_started`` (another request had won), ``not_payable``, ``not_found``."""
    # The owner is part of the compare-and-set, so the move (with its event) and one read
    # decide every outcome; the context is built from that read (no ORM load). Both are one
    # statement.
    conn = uow.connection()
    rows = orders.start_payment(conn, order_moves.spec(order_id, **_START, event="payment_started", user_id=user_id,
                                                       payment_request_id=request_id))
    won = bool(rows and rows[0].won)
    if rows and not won and rows[0].payment_request_id is None:
        # Lost, and the snapshot shows no request: a request that won while this statement
        # waited on the row, or an order not payable. Only a fresh read tells them apart.
        rows = orders.payment_read(conn, order_id)
    row = rows[0] if rows else None
    if row is None or row.user_id != user_id:
        return "not_found", None
    if won or row.payment_request_id == request_id:
        # An item's columns are None only on the outer join's one row of an order without items.
        items = tuple((r.product_id, r.quantity or 0) for r in rows if r.product_id is not None)
        return "started", SagaContext(order_id=order_id, user_id=row.user_id, items=items,
                                      total=row.total, cid=row.correlation_id)
    if row.payment_request_id is not None:
        return "already_started", None
    return "not_payable", None


def complete(uow: UnitOfWork, order_id: str) -> bool:
    """payment_started → completed ("final order registration"), and the reservation becomes a
    sale in the same transaction: orders and stock share the emarket database, so "completed"
    and "sold" can never disagree. True if this call completed it.

    It is ONE statement (the compare-and-set, its event and the sale as data-modifying CTEs;
    the sale only if the order moved), so the step may commit it alone. A repeat finds the
    order completed: its sale committed with it."""
    completed = orders.complete_and_sell(uow.connection(), order_moves.spec(
        order_id, st.COMPLETED, (st.PAYMENT_STARTED,), when=_UNCLAIMED, event="completed"))
    if completed:
        return True
    order = _load(uow, order_id)
    if order.status != st.COMPLETED:
        raise InvalidTransition("failed", f"order is {order.status}")
    return False


PHASE1_RUNNING = (st.ACCEPTED, st.PROCESSING)
PHASE2_RUNNING = (st.PAYMENT_STARTED,)


def claim_for_compensation(uow: UnitOfWork, order_id: str, running: tuple[str, ...], reason: str,
         failed_event: str | None, failed_run: saga_events.StepRun | None = None) -> str | None:
    """The compensation's decision, a compare-and-set: claim an order that is still running in
    the failing phase (``running``) for compensation, recording which step failed.

    Returns the reason to compensate with — this call's, or that of an earlier claim (a twin
    callback: compensating twice is harmless) — or None when there is nothing to undo: the
    order completed (a twin chain won), or it moved past the failing phase (a phase-1 step
    redelivered long after it ran must not cancel an order the user is paying). ``failed_run``
    names the step run that failed, for the failure's event."""
    if reason not in st.REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    if orders.claim(uow.connection(), order_id, running, reason, utcnow()):
        if failed_event:
            saga_events.record(uow, order_id, failed_event, reason, failed_run)
        return reason
    order = _load(uow, order_id)
    if order.failure_reason is not None and order.status in (*running, st.CANCELLED):
        return order.failure_reason
    return None


# The compensation's cancel moves only an order a compensation claimed: the database keeps the
# rule, so no caller can cancel an order whose forward steps may still complete it.
_CLAIMED = ("claimed_for_compensation",)


def cancel(uow: UnitOfWork, order_id: str, reason: str) -> bool:
    """The system's cancel, from any status before completed, of an order claimed for
    compensation (``claim_for_compensation``). True if this call cancelled."""
    if reason not in st.REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    return _cas(uow, order_id, st.CANCELLED, st.sources_of(st.CANCELLED), when=_CLAIMED, reason=reason,
                event="cancelled", detail=reason)


def cancel_by_user(uow: UnitOfWork, order_id: str, user_id: int) -> str:
    """The user's cancel, only while awaiting payment. Outcomes: ``cancelled``,
    ``already_cancelled`` (by the user, earlier), ``not_cancellable``, ``not_found``."""
    order = uow.session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        return "not_found"
    if _cas(uow, order_id, st.CANCELLED, (st.AWAITING_PAYMENT,), reason="cancelled_by_user",
            event="cancelled", detail="cancelled_by_user"):
        return "cancelled"
    order = _load(uow, order_id)
    if order.status == st.CANCELLED and order.reason == "cancelled_by_user":
        return "already_cancelled"
    return "not_cancellable"


def expire_payment(uow: UnitOfWork, order_id: str) -> bool:
    """The payment clock ran out: awaiting_payment → cancelled(payment_timeout), only once the
    deadline has passed and only if payment did not start first."""
    return bool(_cas(uow, order_id, st.CANCELLED, (st.AWAITING_PAYMENT,), when=("past_deadline",), reason="payment_timeout", event="cancelled", detail="payment_timeout"))


def overdue(uow: UnitOfWork, limit: int = 500) -> list[str]:
    return list(uow.session.scalars(
        select(Order.id).where(Order.status == st.AWAITING_PAYMENT, Order.payment_deadline <= utcnow())
        .order_by(Order.payment_deadline).limit(limit)))


# The statuses in which a saga runs on its own (not waiting for the user, not final).
STUCK_STATUSES = (st.ACCEPTED, st.PROCESSING, st.PAYMENT_STARTED)


def stuck(uow: UnitOfWork, older_than_seconds: float, limit: int = 500, order_id: str | None = None) -> list[Order]:
    """Orders in a running (non-final, not waiting for the user) status, untouched too long;
    with ``order_id``, that one order if it is stuck by this rule."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    query = select(Order).where(Order.status.in_(STUCK_STATUSES), Order.updated_at < cutoff)
    if order_id is not None:
        query = query.where(Order.id == order_id)
    return list(uow.session.scalars(query.order_by(Order.updated_at).limit(limit)))


def touch(uow: UnitOfWork, order_id: str) -> None:
    """Mark the order as just looked at, so the stuck-saga sweeper waits a full bound again."""
    uow.session.execute(update(Order).where(Order.id == order_id).values(updated_at=utcnow())
                        .execution_options(synchronize_session=False))
