"""Stuck sagas re-driven (queue ``saga``): a saga that sat in a running status too long (a
message lost with a broker that forgot it, a compensation that ran out of retries, a phase 1
whose publish after the order's commit was lost) is sent on from where its status says it is.

``saga.resume_stuck`` (beat) does it for every stuck order, ``saga.resume`` (the operators'
console, request-reply) for one, by the same rule (``emarket.order.stuck``) and the same body.
Steps are idempotent, so re-driving one that is merely slow does no harm.
"""
from __future__ import annotations

import logging

from emarket import order as orders
from emarket.config import settings
from emarket.storage import unit_of_work
from tasks.celery_app import app
from tasks.chains import phase1, phase2_resumed
from tasks.compensation import PHASE1, PHASE2, compensation
from tasks.step import SagaStep

log = logging.getLogger(__name__)


@app.task(base=SagaStep, name="saga.resume_stuck")
def resume_stuck(older_than: float | None = None) -> int:
    """Beat: re-drive every saga untouched for longer than ``older_than`` (default
    ``EMARKET_SAGA_STUCK_AFTER``). Returns how many."""
    return redrive_stuck(older_than)


@app.task(base=SagaStep, name="saga.resume", ignore_result=False)
def resume(order_id: str, older_than: float | None = None) -> bool:
    """The operators' console's "Resume": the sweep above for one order, and only if that
    order is stuck by the same rule. True if it was re-driven."""
    return redrive_stuck(older_than, order_id=order_id) > 0


def redrive_stuck(older_than: float | None, order_id: str | None = None) -> int:
    """Re-drive the stuck sagas (only ``order_id``'s, if given); returns how many."""
    bound = settings().saga_stuck_after if older_than is None else older_than
    with unit_of_work("emarket") as uow:
        stuck = [(o.id, o.status, o.failure_reason) for o in orders.stuck(uow, bound, order_id=order_id)]
    for found_id, status, failure in stuck:
        _redrive(found_id, status, failure)
    return len(stuck)


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
