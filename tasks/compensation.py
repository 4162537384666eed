"""The saga's failures and compensations (queue ``saga``).

A failed step's error callback (``saga.step_failed``) runs in the failing worker itself, with
the exception in hand, and sends ``saga.compensate`` the failure (reason, task, worker,
attempt, error) in its message: the reason never depends on the result backend.
``saga.compensate`` records which step failed and why, then sends the compensations: phase 2
refunds, releases and cancels; phase 1 only cancels (it moved nothing). Each compensation is
idempotent, so running one that has nothing to undo is harmless — the chain does not need to
know how far the saga got.

The error callbacks bind only the saga context's ids (``SagaContext.ids``): compensating needs
only its order id (and its correlation id, for the logs). The phase numbers below travel in
those messages (``saga.step_failed`` and ``saga.compensate`` take them as their last argument).
"""
from __future__ import annotations

import logging
from typing import Any

from celery import chain
from celery.canvas import Signature
from celery.result import AsyncResult

from emarket import order as orders
from emarket import saga_events
from emarket.errors import DomainError
from emarket.order_status import REASONS
from emarket.saga_context import SagaContext
from emarket.storage import unit_of_work
from tasks import order as order_tasks
from tasks import stock, wallet
from tasks.celery_app import app
from tasks.step import SagaStep

log = logging.getLogger(__name__)

PHASE1, PHASE2 = 1, 2


def compensation(ctx: SagaContext | dict[str, Any], reason: str, phase: int) -> Signature:
    """What undoes ``phase`` of a saga: phase 2 refunds, releases and cancels; phase 1 cancels."""
    ctx = SagaContext.of(ctx)
    if phase == PHASE1:
        return order_tasks.cancel.si(ctx, reason)
    return chain(wallet.refund.si(ctx), stock.release.si(ctx), order_tasks.cancel.si(ctx, reason))


def on_failure(ctx: SagaContext, failed_event: str | None, phase: int) -> Signature:
    """The error callback a step of ``phase`` carries (``failed_event``: the event it records)."""
    return step_failed.s(ctx.ids(), failed_event, phase)


def failure_reason(error: BaseException | None) -> str:
    """A domain error names its reason when that is a reason to cancel an order; anything
    else (retries exhausted, a bug, another service's refusal) is ``failed``."""
    reason = getattr(error, "reason", None) if isinstance(error, DomainError) else None
    return reason if reason in REASONS else "failed"


def failure_of(request: Any, error: BaseException | None) -> dict[str, Any]:
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
def step_failed(request: Any, exc: BaseException | None, traceback: Any, ctx: SagaContext | dict[str, Any],
                failed_event: str | None, phase: int) -> None:
    """Error callback of every step. Celery calls a callback that takes ``(request, exc,
    traceback)`` in the failing worker itself, right after the failure: the exception is in
    hand (no result backend), and ``compensate`` gets it in its message, a step of its own
    that retries like any other."""
    compensate.apply_async((failure_of(request, exc), SagaContext.of(ctx), failed_event, phase))


def _stored_failure(failed_task_id: str) -> dict[str, Any]:
    """The failure as the result backend stored it: for error callbacks attached the older way
    (messages published before ``step_failed``, which name only the failed task's id)."""
    failed = AsyncResult(failed_task_id, app=app)
    error = failed.result if isinstance(failed.result, BaseException) else None
    return {**failure_of(None, error), "task_id": failed_task_id}


@app.task(base=SagaStep, name="saga.compensate")
def compensate(failure: dict[str, Any] | str, ctx: SagaContext | dict[str, Any], failed_event: str | None,
               phase: int) -> str | None:
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
