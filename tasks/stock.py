"""Mproduct (queue ``product``): thin adapters over ``emarket.stock``."""
from __future__ import annotations

from emarket import saga_events, stock
from emarket.storage import unit_of_work
from tasks import faults, metrics
from tasks.celery_app import app
from tasks.step import SagaStep


@app.task(base=SagaStep, name="product.check")
def check(ctx: dict) -> dict:
    with unit_of_work("emarket") as uow:
        prices = stock.check(uow, ctx["items"], event=(ctx["order_id"], "stock_checked"))
        faults.in_transaction("product.check")
    return {**ctx, "prices": prices}


@app.task(base=SagaStep, name="product.reserve")
def reserve(ctx: dict) -> dict:
    with unit_of_work("emarket") as uow:
        stock.reserve(uow, ctx["order_id"], ctx["items"], event="stock_reserved")
        faults.in_transaction("product.reserve")
    return ctx


@app.task(base=SagaStep, name="product.release")
def release(ctx: dict) -> dict:
    with unit_of_work("emarket") as uow:
        first = False
        if stock.release(uow, ctx["order_id"]):
            first = saga_events.record(uow, ctx["order_id"], "stock_released")
    if first:  # a redelivered release finds its event and counts nothing
        metrics.compensation_ran("product.release")
    return ctx
