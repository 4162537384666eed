"""Mproduct (queue ``product``): thin adapters over ``emarket.stock``; each step takes and
returns the saga context (``emarket.saga_context.SagaContext``).

``check`` and ``reserve`` are one statement each on PostgreSQL that writes nothing unless every
item holds (the check's event, the reservation of every item), and their slow paths only read
or record an event idempotently: their statements commit alone (``autocommit=True``). A
redelivery finds the event or the reservation and passes it on."""
from __future__ import annotations

from emarket import saga_events, stock
from emarket.saga_context import SagaContext
from emarket.storage import unit_of_work
from tasks import faults, metrics
from tasks.celery_app import app
from tasks.step import SagaStep


@app.task(base=SagaStep, name="product.check", pydantic=True)
def check(ctx: SagaContext) -> SagaContext:
    with unit_of_work("emarket", autocommit=True) as uow:
        prices = stock.check(uow, ctx.items or (), event=(ctx.order_id, "stock_checked"))
        faults.in_transaction("product.check")
    return ctx.filled(prices=prices)


@app.task(base=SagaStep, name="product.reserve", pydantic=True)
def reserve(ctx: SagaContext) -> SagaContext:
    with unit_of_work("emarket", autocommit=True) as uow:
        stock.reserve(uow, ctx.order_id, ctx.items or (), event="stock_reserved")
        faults.in_transaction("product.reserve")
    return ctx


@app.task(base=SagaStep, name="product.release", pydantic=True)
def release(ctx: SagaContext) -> SagaContext:
    with unit_of_work("emarket") as uow:
        first = False
        if stock.release(uow, ctx.order_id):
            first = saga_events.record(uow, ctx.order_id, "stock_released")
    if first:  # a redelivered release finds its event and counts nothing
        metrics.compensation_ran("product.release")
    return ctx
