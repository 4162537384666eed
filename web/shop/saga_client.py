"""The shop's saga client: how the web moves an order, always through the saga (the
"synchronous replies over the broker" of docs/architecture.md).

``place_order`` stores the order as ``accepted`` with its first event before it returns, then
publishes phase 1; if that publish is lost the stuck-saga sweeper re-sends it, so an accepted
order is never lost. ``request_payment`` and ``request_cancel`` send the compare-and-set step
over the broker and wait a bounded time for its answer, so the reply says truthfully whether
this request won. ``request_resume`` is the operators' console's way to the stuck-saga repair.

No request thread sleeps a fixed time. A reply over the broker is awaited by the result
backend itself (``AsyncResult.get``: on Redis a subscription that wakes at the answer).
Phase 1 ends in no reply (its last step, or a compensation, stores no result), so
``wait_for_phase1`` reads the order's status on an exponential poll: at once, then after
5 ms, doubling to at most 100 ms between reads, never past the deadline — a phase 1 that
settles in 20 ms is seen within about 20 ms more, and a 30 s wait costs some 300 reads, not 1500.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult

from db.emarket import IdempotentRequest, Order
from db.unit_of_work import UnitOfWork
from emarket import idempotency
from emarket import order as orders
from emarket.config import settings
from emarket.errors import TransientError
from emarket.idempotency import Outcome, Reply
from emarket.order_status import AWAITING_PAYMENT, CANCELLED
from emarket.saga_context import SagaContext
from emarket.storage import unit_of_work
from tasks import metrics
from tasks import order as order_tasks
from tasks.chains import phase1, phase2
from tasks.redrive import resume

log = logging.getLogger(__name__)

# The phase-1 poll: first pause, and the longest between two reads of the order.
POLL_FIRST, POLL_MAX = 0.005, 0.1


class ReplyTimeout(TransientError):
    """No answer over the broker in time; the request may still win later (retry to learn)."""


def order_fingerprint(items: list[dict[str, Any]]) -> str:
    """The fingerprint of ``POST /api/orders`` with these items, as the web computes it."""
    body = {"items": [{"product_id": int(i["product_id"]), "quantity": int(i["quantity"])} for i in items]}
    return idempotency.fingerprint(settings().secret_key, "POST", "/api/orders", body)


def place_order(user_id: int, items: list[dict[str, Any]], idempotency_key: str | None,
                correlation_id: str | None = None,
                reply: Callable[[UnitOfWork, str], Reply] | None = None) -> Outcome:
    """Store the order (once per Idempotency-Key of this user) and start phase 1 after the
    commit. ``reply`` renders the first reply inside the creating transaction, where it is kept
    for replays; ``Outcome.earlier`` is what an earlier request with the key left."""

    def create(uow: UnitOfWork) -> str:
        placed = orders.place(uow, user_id, items, correlation_id)
        uow.after_commit(lambda: _start_phase1(placed))
        return placed.order_id

    return idempotency.create_once("emarket", IdempotentRequest, f"user:{user_id}", idempotency_key,
                                   order_fingerprint(items) if idempotency_key is not None else None,
                                   create, reply)


def _start_phase1(placed: orders.Placed) -> None:
    metrics.saga_started()
    log.info("saga started", extra={"order_id": placed.order_id})
    try:
        phase1(placed.ctx).apply_async()
    except Exception:  # the order is stored; the sweeper will send phase 1 again
        log.exception("could not publish phase 1", extra={"order_id": placed.order_id})


def order_status(order_id: str) -> str | None:
    with unit_of_work("emarket") as uow:
        order = uow.session.get(Order, order_id)
        return order.status if order else None


def wait_for_phase1(order_id: str, seconds: float) -> None:
    """Return once phase 1 settled (awaiting payment or cancelled), or when the time is up."""
    deadline = time.monotonic() + seconds
    pause = POLL_FIRST
    while order_status(order_id) not in (AWAITING_PAYMENT, CANCELLED):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(pause, left))
        pause = min(pause * 2, POLL_MAX)


def _reply(result: AsyncResult, timeout: float | None) -> Any:
    try:
        # No polling interval: the backend waits for the answer itself (Redis: pub/sub).
        return result.get(timeout=timeout or settings().reply_timeout)
    except CeleryTimeout:
        raise ReplyTimeout("no reply from the order service in time") from None


def _head(result: AsyncResult) -> AsyncResult:
    while result.parent is not None:
        result = result.parent
    return result


def request_payment(order_id: str, user_id: int, correlation_id: str | None = None,
                    timeout: float | None = None) -> str:
    """``started`` | ``already_started`` | ``not_payable`` | ``not_found``; may raise ReplyTimeout."""
    ctx = SagaContext(order_id=order_id, user_id=user_id, cid=correlation_id)
    result = phase2(ctx).apply_async()
    outcome: str = _reply(_head(result), timeout)["outcome"]
    return outcome


def request_resume(order_id: str, timeout: float | None = None) -> bool:
    """The operators' "Resume" (the stuck-saga sweep for one order): True if it was stuck and
    re-driven, False if it was not stuck (any more); may raise ReplyTimeout."""
    return bool(_reply(resume.apply_async((order_id,)), timeout))


def request_cancel(order_id: str, user_id: int, correlation_id: str | None = None,
                   timeout: float | None = None) -> str:
    """``cancelled`` | ``already_cancelled`` | ``not_cancellable`` | ``not_found``; may raise ReplyTimeout."""
    outcome: str = _reply(order_tasks.cancel_by_user.apply_async((order_id, user_id)), timeout)
    return outcome
