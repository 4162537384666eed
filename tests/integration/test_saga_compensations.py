"""Every failure ends the order cancelled with its reason and moves no stock or money."""
from __future__ import annotations

import pytest

from tasks import compensation, stock, wallet
from tasks import order as order_tasks
from tests.integration.saga_helpers import (
    event_names,
    place,
    place_and_pay,
    wait_final,
    wait_status,
)
from tests.support import seed
from web.shop import saga_client


@pytest.mark.repeat(50)
def test_out_of_stock_order_is_deleted(worker):
    """The flaky "deleted order" consumer test of the original assignment, made deterministic: it waits for the
    outcome itself, with a deadline, and is run 50 times in a row."""
    user = seed.user(balance=1_000)
    tea = seed.product(count=1)
    order_id = place(user, [(tea, 2)])
    order = wait_final(order_id)
    assert (order.status, order.reason) == ("cancelled", "out_of_stock")
    assert event_names(order_id) == ["accepted", "registered", "stock_check_failed", "cancelled"]
    assert seed.stock_of(tea) == (1, 0)
    assert seed.wallet_of(user) == 1_000


def test_unknown_product_cancels(worker):
    user = seed.user(balance=1_000)
    tea = seed.product()
    order_id = place(user, [(tea, 1), (987_654_321, 1)])
    order = wait_final(order_id)
    assert (order.status, order.reason, order.total) == ("cancelled", "unknown_product", None)
    assert dict(seed.events(order_id))["stock_check_failed"] == "unknown_product"
    assert seed.stock_of(tea) == (10, 0)


def test_insufficient_funds_releases_the_reservation(worker):
    user = seed.user(balance=499)
    tea = seed.product(count=4, price=250)
    order_id = place_and_pay(user, [(tea, 2)])
    order = wait_final(order_id)
    assert (order.status, order.reason) == ("cancelled", "insufficient_funds")
    assert event_names(order_id) == ["accepted", "registered", "stock_checked", "awaiting_payment",
                                     "payment_started", "stock_reserved", "charge_failed",
                                     "stock_released", "cancelled"]
    assert seed.stock_of(tea) == (4, 0)
    assert seed.wallet_of(user) == 499
    assert seed.entries(order_id) == []
    assert {r.status for r in seed.reservations(order_id)} == {"released"}


def test_stock_sold_out_between_check_and_payment(worker):
    first, second = seed.user(balance=1_000), seed.user(balance=1_000)
    tea = seed.product(count=1, price=100)
    a, b = place(first, [(tea, 1)]), place(second, [(tea, 1)])
    wait_status(a, "awaiting_payment"), wait_status(b, "awaiting_payment")
    assert saga_client.request_payment(a, first) == "started"
    assert wait_final(a).status == "completed"
    assert saga_client.request_payment(b, second) == "started"
    order = wait_final(b)
    assert (order.status, order.reason) == ("cancelled", "out_of_stock")
    assert "stock_reservation_failed" in event_names(b)
    assert seed.stock_of(tea) == (0, 0)
    assert seed.wallet_of(second) == 1_000


def test_user_cancels_while_awaiting_payment(worker):
    user = seed.user(balance=1_000)
    tea = seed.product(count=2)
    order_id = place(user, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    assert saga_client.request_cancel(order_id, user) == "cancelled"
    assert saga_client.request_cancel(order_id, user) == "already_cancelled"
    assert saga_client.request_payment(order_id, user) == "not_payable"
    order = seed.order(order_id)
    assert (order.status, order.reason) == ("cancelled", "cancelled_by_user")
    assert seed.stock_of(tea) == (2, 0) and seed.wallet_of(user) == 1_000


def test_completed_order_cannot_be_cancelled(worker):
    user = seed.user(balance=1_000)
    tea = seed.product()
    order_id = place(user, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    saga_client.request_payment(order_id, user)
    wait_final(order_id)
    assert saga_client.request_cancel(order_id, user) == "not_cancellable"
    assert seed.order(order_id).status == "completed"


def test_domain_error_reaches_the_error_callback_with_type_and_reason(worker, celery_app):
    """InsufficientFunds raised in emarket.wallet passes SagaStep (no retry), Celery's task
    wrapper and the JSON result backend, and arrives whole: its class, its reason."""
    from emarket.errors import InsufficientFunds

    user = seed.user(balance=0)
    tea = seed.product(price=100)
    order_id = place(user, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    ctx = {"order_id": order_id, "user_id": user, "total": 100, "items": [[tea, 1]]}
    # Payment started on its own (no chain after it), then the charge step with its callback.
    started = order_tasks.start_payment.apply_async((ctx,), ignore_result=False).get(timeout=20)
    assert started["outcome"] == "started"
    result = wallet.charge.s(ctx).on_error(compensation.compensate.s(ctx, "charge_failed", 2)).apply_async(
        ignore_result=False)
    with pytest.raises(InsufficientFunds) as raised:
        result.get(timeout=20)
    assert raised.value.reason == "insufficient_funds"
    assert result.state == "FAILURE" and result.info.reason == "insufficient_funds"
    order = wait_final(order_id)
    assert (order.status, order.reason) == ("cancelled", "insufficient_funds")
    assert dict(seed.events(order_id))["charge_failed"] == "insufficient_funds"


def test_late_redelivered_stock_check_does_not_cancel_an_order_awaiting_payment(worker):
    """A phase-1 step redelivered long after it ran (its worker died between commit and ack)
    finds the stock gone: its error callback must not cancel an order already past phase 1."""
    from sqlalchemy import update

    from db.emarket import ProductAccounting
    from emarket.storage import unit_of_work

    user = seed.user(balance=1_000)
    tea = seed.product(count=1, price=100)
    order_id = place(user, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    with unit_of_work("emarket") as uow:  # the last unit sold elsewhere meanwhile
        uow.session.execute(update(ProductAccounting).where(ProductAccounting.product_id == tea).values(count=0))
    ctx = {"order_id": order_id, "user_id": user, "items": [[tea, 1]], "total": None, "cid": None}
    result = stock.check.s(ctx).on_error(compensation.compensate.s(ctx, "stock_check_failed", 1)).apply_async(
        ignore_result=False)
    with pytest.raises(Exception):  # noqa: B017 — the step's error crosses the result backend as whatever it rebuilds
        result.get(timeout=20)
    compensations = compensation.compensate.s(result.id, ctx, "stock_check_failed", 1).apply_async(ignore_result=False)
    assert compensations.get(timeout=20) is None  # nothing to undo
    order = seed.order(order_id)
    assert (order.status, order.reason) == ("awaiting_payment", None)
    assert "stock_check_failed" not in event_names(order_id)
