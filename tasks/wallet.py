"""Mmoney (queue ``money``): thin adapters over ``emarket.wallet``; each step takes and returns
the saga context (``emarket.saga_context.SagaContext``).

The wallet lives in the ``account`` database and the saga's timeline in ``emarket``: no
transaction spans both, so the event is recorded right after the money moved. A crash in
between redelivers the step, which finds its debit and records the (idempotent) event.

``charge`` writes the wallet with ONE statement that debits only if the balance holds and the
order has no debit yet (its fallback only reads), and the event with one idempotent INSERT: on
PostgreSQL both commit alone (``autocommit=True``), two round trips instead of six. ``refund``
writes twice and keeps its transaction.
"""
from __future__ import annotations

from emarket import saga_events, wallet
from emarket.errors import InvalidTransition
from emarket.saga_context import SagaContext
from emarket.storage import unit_of_work
from tasks import faults, metrics
from tasks.celery_app import app
from tasks.step import SagaStep


@app.task(base=SagaStep, name="money.charge", pydantic=True)
def charge(ctx: SagaContext) -> SagaContext:
    if ctx.total is None:  # phase 2 starts with order.start_payment, which reads the total
        raise InvalidTransition("failed", "the saga context has no total to charge")
    with unit_of_work("account", autocommit=True) as uow:
        wallet.charge(uow, ctx.user_id, ctx.order_id, ctx.total)
        faults.in_transaction("money.charge")
    with unit_of_work("emarket", autocommit=True) as uow:
        saga_events.record(uow, ctx.order_id, "money_charged", str(ctx.total))
    return ctx


@app.task(base=SagaStep, name="money.refund", pydantic=True)
def refund(ctx: SagaContext) -> SagaContext:
    with unit_of_work("account") as uow:
        amount = wallet.refund(uow, ctx.order_id)
    if amount:
        with unit_of_work("emarket") as uow:
            first = saga_events.record(uow, ctx.order_id, "money_refunded", str(amount))
        if first:  # a redelivered refund finds its event and counts nothing
            metrics.compensation_ran("money.refund")
    return ctx
