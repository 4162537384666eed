"""Morder (queue ``order``): thin adapters over ``emarket.order``, one unit of work each.

Every task takes and returns the saga context (a small dict of ids and numbers), so a chain
passes it from step to step.
"""
from __future__ import annotations

from emarket import order
from emarket.config import settings
from emarket.storage import unit_of_work
from tasks import faults, metrics
from tasks.celery_app import app
from tasks.step import SagaStep


@app.task(base=SagaStep, name="order.register")
def register(ctx: dict) -> dict:
    with unit_of_work("emarket") as uow:
        order.register(uow, ctx["order_id"])
        faults.in_transaction("order.register")
    return ctx


@app.task(base=SagaStep, name="order.await_payment")
def await_payment(ctx: dict) -> dict:
    from tasks.saga import schedule_payment_timeout  # the choreographer owns the clock

    timeout = settings().payment_timeout
    with unit_of_work("emarket") as uow:
        deadline = order.await_payment(uow, ctx["order_id"], ctx["prices"], timeout, ctx.get("items"))
        faults.in_transaction("order.await_payment")
    schedule_payment_timeout(ctx["order_id"], deadline)
    return ctx


@app.task(base=SagaStep, name="order.start_payment", bind=True, ignore_result=False)
def start_payment(self, ctx: dict) -> dict:
    """The compare-and-set that decides whether this payment request won. The web waits for
    this task's result (request-reply over the broker); a loser ends the chain here."""
    with unit_of_work("emarket") as uow:
        outcome, full = order.start_payment(uow, ctx["order_id"], ctx["user_id"], self.request.id)
        faults.in_transaction("order.start_payment")
    if outcome != "started":
        self.request.chain = None  # nothing after this step runs
        return {**ctx, "outcome": outcome}
    return {**full, "outcome": outcome}


@app.task(base=SagaStep, name="order.complete")
def complete(ctx: dict) -> dict:
    from emarket import stock

    with unit_of_work("emarket") as uow:
        completed = order.complete(uow, ctx["order_id"])
        # The reservation becomes a sale in the same transaction: orders and stock share the
        # emarket database, so "completed" and "sold" can never disagree.
        stock.sell(uow, ctx["order_id"])
        faults.in_transaction("order.complete")
    if completed:
        metrics.saga_completed()
    return ctx


@app.task(base=SagaStep, name="order.cancel")
def cancel(ctx: dict, reason: str) -> dict:
    with unit_of_work("emarket") as uow:
        cancelled = order.cancel(uow, ctx["order_id"], reason)
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
