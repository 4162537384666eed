"""Morder (queue ``order``): thin adapters over ``emarket.order``, one unit of work each.

``register``, ``await_payment``, ``start_payment`` and ``complete`` write with ONE statement
(the compare-and-set with its event, and for pricing the items' prices, for completing the
sale: it moves the order only if it is in the expected status, else writes nothing) and
otherwise only read, so on PostgreSQL their statements commit alone (``unit_of_work(...,
autocommit=True)``): one round trip each instead of three or four. ``cancel`` writes twice and
keeps its transaction.

Every saga step takes and returns the saga context (``emarket.saga_context.SagaContext``), so
a chain passes it from step to step; ``pydantic=True`` has Celery rebuild it from the message.
"""
from __future__ import annotations

from emarket import order
from emarket.config import settings
from emarket.saga_context import SagaContext
from emarket.storage import unit_of_work
from tasks import faults, metrics
from tasks.celery_app import app
from tasks.payment_clock import schedule_payment_timeout
from tasks.step import SagaStep


@app.task(base=SagaStep, name="order.register", pydantic=True)
def register(ctx: SagaContext) -> SagaContext:
    with unit_of_work("emarket", autocommit=True) as uow:
        order.register(uow, ctx.order_id)
        faults.in_transaction("order.register")
    return ctx


@app.task(base=SagaStep, name="order.await_payment", pydantic=True)
def await_payment(ctx: SagaContext) -> SagaContext:
    timeout = settings().payment_timeout
    with unit_of_work("emarket", autocommit=True) as uow:
        deadline = order.await_payment(uow, ctx.order_id, ctx.prices or {}, timeout, ctx.items)
        faults.in_transaction("order.await_payment")
    schedule_payment_timeout(ctx.order_id, deadline)
    return ctx


@app.task(base=SagaStep, name="order.start_payment", bind=True, ignore_result=False, pydantic=True)
def start_payment(self: SagaStep, ctx: SagaContext) -> SagaContext:
    """The compare-and-set that decides whether this payment request won. The web waits for
    this task's result (request-reply over the broker); a loser ends the chain here."""
    with unit_of_work("emarket", autocommit=True) as uow:
        outcome, started = order.start_payment(uow, ctx.order_id, ctx.user_id, self.request.id)
        faults.in_transaction("order.start_payment")
    if started is None:
        self.request.chain = None  # nothing after this step runs
        return ctx.filled(outcome=outcome)
    return started.filled(outcome=outcome)


@app.task(base=SagaStep, name="order.complete", pydantic=True)
def complete(ctx: SagaContext) -> SagaContext:
    # One statement on PostgreSQL (the order and its sale, emarket.order.complete): it commits alone.
    with unit_of_work("emarket", autocommit=True) as uow:
        completed = order.complete(uow, ctx.order_id)
        faults.in_transaction("order.complete")
    if completed:
        metrics.saga_completed()
    return ctx


@app.task(base=SagaStep, name="order.cancel", pydantic=True)
def cancel(ctx: SagaContext, reason: str) -> SagaContext:
    with unit_of_work("emarket") as uow:
        cancelled = order.cancel(uow, ctx.order_id, reason)
    if cancelled:
        metrics.saga_cancelled(reason)
        metrics.compensation_ran("order.cancel")
    return ctx


@app.task(base=SagaStep, name="order.cancel_by_user", ignore_result=False)
def cancel_by_user(order_id: str, user_id: int) -> str:
    with unit_of_work("emarket") as uow:
        outcome = order.cancel_by_user(uow, order_id, user_id)
    if outcome == "cancelled":
        metrics.saga_cancelled("cancelled_by_user")
    return outcome
