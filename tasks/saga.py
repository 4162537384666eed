"""The choreographer (queue ``saga``): builds each phase as a Celery chain whose steps carry
error callbacks, runs the compensations in reverse, keeps the payment clock, and sweeps up
what a lost message or a long outage left behind.

Phase 1: order.register → product.check → order.await_payment
Phase 2: order.start_payment → product.reserve → money.charge → order.complete
A failed step's error callback (``saga.step_failed``) runs in the failing worker itself, with
the exception in hand, and sends ``saga.compensate`` the failure (reason, task, worker,
attempt, error) in its message: the reason never depends on the result backend.
``saga.compensate`` records which step failed and why, then sends the compensations: phase 2
refunds, releases and cancels; phase 1 only cancels (it moved nothing). Each compensation is
idempotent, so running one that has nothing to undo is harmless — the chain does not need to
know how far the saga got.

Every message carries the saga context (``emarket.saga_context.SagaContext``). The error
callbacks bind only its ids (``SagaContext.ids``): compensating needs only its order id (and
its correlation id, for the logs).
"""
from __future__ import annotations

import logging
from datetime import datetime

from celery import chain
from celery.result import AsyncResult

from emarket import order as orders
from emarket import saga_events
from emarket.config import settings
from emarket.errors import DomainError
from emarket.order_status import REASONS
from emarket.saga_context import SagaContext
from emarket.storage import unit_of_work
from tasks import countdown, metrics, stock, wallet
from tasks import order as order_tasks
from tasks.celery_app import app
from tasks.step import SagaStep

log = logging.getLogger(__name__)

PHASE1, PHASE2 = 1, 2


@app.task(name="saga.ping", ignore_result=False)
def ping() -> str:
    """Answers ``pong``: proves a worker consumes a queue and results come back."""
    return "pong"


def _on_fail(ctx: SagaContext, failed_event: str | None, phase: int):
    return step_failed.s(ctx.ids(), failed_event, phase)


def phase1(ctx: SagaContext | dict):
    """register → check → await payment; each step gets the context the one before returned."""
    ctx = SagaContext.of(ctx)
    return chain(
        order_tasks.register.s(ctx).on_error(_on_fail(ctx, "registration_failed", PHASE1)),
        stock.check.s().on_error(_on_fail(ctx, "stock_check_failed", PHASE1)),
        order_tasks.await_payment.s().on_error(_on_fail(ctx, None, PHASE1)),
    )


def _after_start(ctx: SagaContext) -> list:
    """Phase 2 after the start of payment: reserve → charge → complete, each step taking the
    context the one before returned."""
    return [
        stock.reserve.s().on_error(_on_fail(ctx, "stock_reservation_failed", PHASE2)),
        wallet.charge.s().on_error(_on_fail(ctx, "charge_failed", PHASE2)),
        order_tasks.complete.s().on_error(_on_fail(ctx, "completion_failed", PHASE2)),
    ]


def phase2(ctx: SagaContext | dict):
    """start payment → reserve → charge → complete. ``ctx`` holds the order, its user and the
    correlation id; ``order.start_payment`` fills in the rest from the order."""
    ctx = SagaContext.of(ctx)
    # No error callback on start_payment: if it fails, nothing started and the order stays
    # awaiting payment (the client may retry; the payment clock still runs).
    return chain(order_tasks.start_payment.s(ctx), *_after_start(ctx))


def phase2_resumed(ctx: SagaContext | dict):
    """The rest of phase 2 for an order whose payment had started (the stuck-saga sweep):
    the reservation, first, gets the full context read from the order."""
    ctx = SagaContext.of(ctx)
    reserve, *rest = _after_start(ctx)
    return chain(reserve.clone(args=(ctx,)), *rest)


def compensation(ctx: SagaContext | dict, reason: str, phase: int):
    ctx = SagaContext.of(ctx)
    if phase == PHASE1:
        return order_tasks.cancel.si(ctx, reason)
    return chain(wallet.refund.si(ctx), stock.release.si(ctx), order_tasks.cancel.si(ctx, reason))


def failure_reason(error: BaseException | None) -> str:
    """A domain error names its reason when that is a reason to cancel an order; anything
    else (retries exhausted, a bug, another service's refusal) is ``failed``."""
    reason = getattr(error, "reason", None) if isinstance(error, DomainError) else None
    return reason if reason in REASONS else "failed"


def failure_of(request, error: BaseException | None) -> dict:
    """What ``compensate`` needs to know of a failed step run, as JSON: the reason to
    compensate with and the run (task id, worker, attempt, error) its failure event names."""
    retries = getattr(request, "retries", None)
    return {"reason": failure_reason(error), "task_id": getattr(request, "id", None),
            "worker": getattr(request, "hostname", None),
            "attempt": retries + 1 if isinstance(retries, int) else None,
            "error": f"{type(error).__name__}: {error}" if error is not None else None}


# Not ``pydantic=True``, unlike the steps: Celery tells a ``(request, exc, traceback)`` error
# callback from one attached the older way (it takes the failed task's id) by the task's
# signature, which that option's wrapper hides. These two read the context themselves.
@app.task(name="saga.step_failed")
def step_failed(request, exc, traceback, ctx: SagaContext | dict, failed_event: str | None, phase: int) -> None:
    """Error callback of every step. Celery calls a callback that takes ``(request, exc,
    traceback)`` in the failing worker itself, right after the failure: the exception is in
    hand (no result backend), and ``compensate`` gets it in its message, a step of its own
    that retries like any other."""
    compensate.apply_async((failure_of(request, exc), SagaContext.of(ctx), failed_event, phase))


def _stored_failure(failed_task_id: str) -> dict:
    """The failure as the result backend stored it: for error callbacks attached the older way
    (messages published before ``step_failed``, which name only the failed task's id)."""
    failed = AsyncResult(failed_task_id, app=app)
    error = failed.result if isinstance(failed.result, BaseException) else None
    return {**failure_of(None, error), "task_id": failed_task_id}


@app.task(base=SagaStep, name="saga.compensate")
def compensate(failure: dict | str, ctx: SagaContext | dict, failed_event: str | None, phase: int) -> str | None:
    """Claim the order for compensation and send the compensations. ``failure`` is what
    ``step_failed`` sent (or, from an error callback attached the older way, the failed
    task's id).

    Before anything is undone, a compare-and-set claims the order for compensation (it must
    still be running in the failing phase): from then on no forward step can complete it, and
    a failure that arrives after the order completed (a twin chain won) undoes nothing."""
    ctx = SagaContext.of(ctx)
    if isinstance(failure, str):
        failure = _stored_failure(failure)
    # A reason no cancellation knows (sent by the previous version, e.g. ``not_found``) is ``failed``.
    reason = failure["reason"] if failure.get("reason") in REASONS else "failed"
    run = saga_events.StepRun(task_id=failure.get("task_id"), worker=failure.get("worker"),
                              attempt=failure.get("attempt"), error=failure.get("error"))
    running = orders.PHASE1_RUNNING if phase == PHASE1 else orders.PHASE2_RUNNING
    with unit_of_work("emarket") as uow:
        decided = orders.claim_for_compensation(uow, ctx.order_id, running, reason, failed_event, run)
    log.warning("saga step failed", extra={"order_id": ctx.order_id, "event": failed_event,
                                           "reason": reason, "error": failure.get("error"),
                                           "compensating": decided is not None})
    if decided is not None:
        compensation(ctx, decided, phase).apply_async()
    return decided


def schedule_payment_timeout(order_id: str, deadline: datetime) -> None:
    """On RabbitMQ the countdown waits in the broker (celeryconfig.py) and fires at the
    deadline. Redis has none: a worker would hold every countdown in memory and take them back
    slowly after a restart, so there the beat sweep, run every few seconds, is the clock."""
    if app.conf.get("emarket_clock_in_broker"):
        # A countdown, not an eta: see tasks.countdown.until.
        payment_timeout.apply_async((order_id,), countdown=countdown.until(deadline))


@app.task(base=SagaStep, name="saga.payment_timeout")
def payment_timeout(order_id: str) -> bool:
    """The countdown: cancels the order if it is still awaiting payment at its deadline."""
    with unit_of_work("emarket") as uow:
        expired = orders.expire_payment(uow, order_id)
    if expired:
        metrics.saga_cancelled("payment_timeout")
    return expired


@app.task(base=SagaStep, name="saga.cancel_overdue")
def cancel_overdue() -> int:
    """Beat, every 30 s on RabbitMQ (a lost countdown can never leave an order waiting for
    ever), every 5 s on Redis, where it is the payment clock (celeryconfig.py)."""
    with unit_of_work("emarket") as uow:
        ids = orders.overdue(uow)
    cancelled = 0
    for order_id in ids:
        with unit_of_work("emarket") as uow:
            expired = orders.expire_payment(uow, order_id)
        if expired:
            metrics.saga_cancelled("payment_timeout")
        cancelled += expired
    return cancelled


@app.task(base=SagaStep, name="saga.resume_stuck")
def resume_stuck(older_than: float | None = None) -> int:
    """Beat: re-drive sagas that sat in a running status too long (a message lost with a
    broker that forgot it, a compensation that ran out of retries). Steps are idempotent, so
    re-driving one that is merely slow does no harm."""
    bound = settings().saga_stuck_after if older_than is None else older_than
    with unit_of_work("emarket") as uow:
        stuck = [(o.id, o.status, o.failure_reason) for o in orders.stuck(uow, bound)]
    for order_id, status, failure in stuck:
        _redrive(order_id, status, failure)
    return len(stuck)


@app.task(base=SagaStep, name="saga.resume", ignore_result=False)
def resume(order_id: str, older_than: float | None = None) -> bool:
    """The operators' console's "Resume": exactly the sweep above, for one order, and only if
    that order is stuck by the same rule (still running, untouched for longer than the bound).
    True if it was re-driven."""
    bound = settings().saga_stuck_after if older_than is None else older_than
    with unit_of_work("emarket") as uow:
        stuck = [(o.id, o.status, o.failure_reason) for o in orders.stuck(uow, bound, order_id=order_id)]
    for found_id, status, failure in stuck:
        _redrive(found_id, status, failure)
    return bool(stuck)


def _redrive(order_id: str, status: str, failure: str | None) -> None:
    """Send a stuck saga on from where its status says it is: the compensation if a step
    had failed for good, else the rest of its phase (steps find their own earlier results)."""
    with unit_of_work("emarket") as uow:
        ctx = orders.context_of(uow, order_id)
        orders.touch(uow, order_id)
    phase = PHASE2 if status == "payment_started" else PHASE1
    if failure is not None:
        compensation(ctx, failure, phase).apply_async()
    elif phase == PHASE1:
        phase1(ctx).apply_async()
    else:
        phase2_resumed(ctx).apply_async()
    log.warning("resumed a stuck saga", extra={"order_id": order_id, "status": status})
