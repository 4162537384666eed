"""The saga's two phases as Celery chains, each step carrying its error callback
(``tasks.compensation.on_failure``). Building a chain publishes nothing: the caller sends it.

Phase 1: order.register → product.check → order.await_payment
Phase 2: order.start_payment → product.reserve → money.charge → order.complete

Every message carries the saga context (``emarket.saga_context.SagaContext``); each step gets
the context the one before returned.
"""
from __future__ import annotations

from typing import Any

from celery import chain
from celery.canvas import Signature

from emarket.saga_context import SagaContext
from tasks import order as order_tasks
from tasks import stock, wallet
from tasks.compensation import PHASE1, PHASE2, on_failure


def phase1(ctx: SagaContext | dict[str, Any]) -> Signature:
    """register → check → await payment."""
    ctx = SagaContext.of(ctx)
    return chain(
        order_tasks.register.s(ctx).on_error(on_failure(ctx, "registration_failed", PHASE1)),
        stock.check.s().on_error(on_failure(ctx, "stock_check_failed", PHASE1)),
        order_tasks.await_payment.s().on_error(on_failure(ctx, None, PHASE1)),
    )


def _after_start(ctx: SagaContext) -> list[Signature]:
    """Phase 2 after the start of payment: reserve → charge → complete."""
    return [
        stock.reserve.s().on_error(on_failure(ctx, "stock_reservation_failed", PHASE2)),
        wallet.charge.s().on_error(on_failure(ctx, "charge_failed", PHASE2)),
        order_tasks.complete.s().on_error(on_failure(ctx, "completion_failed", PHASE2)),
    ]


def phase2(ctx: SagaContext | dict[str, Any]) -> Signature:
    """start payment → reserve → charge → complete. ``ctx`` holds the order, its user and the
    correlation id; ``order.start_payment`` fills in the rest from the order."""
    ctx = SagaContext.of(ctx)
    # No error callback on start_payment: if it fails, nothing started and the order stays
    # awaiting payment (the client may retry; the payment clock still runs).
    return chain(order_tasks.start_payment.s(ctx), *_after_start(ctx))


def phase2_resumed(ctx: SagaContext | dict[str, Any]) -> Signature:
    """The rest of phase 2 for an order whose payment had started (the stuck-saga sweep):
    the reservation, first, gets the full context read from the order."""
    ctx = SagaContext.of(ctx)
    reserve, *rest = _after_start(ctx)
    return chain(reserve.clone(args=(ctx,)), *rest)
