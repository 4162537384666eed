"""An order through both phases, on real workers over RabbitMQ, PostgreSQL and Redis."""
from __future__ import annotations

from emarket.saga_events import FORWARD
from tests.integration.saga_helpers import (
    event_names,
    place,
    place_and_pay,
    wait_final,
    wait_status,
)
from tests.support import seed
from web.shop import saga_client


def test_order_is_paid_and_completed(worker):
    user = seed.user(balance=10_000)
    tea, cup = seed.product(count=10, price=250), seed.product(count=5, price=1_000)
    order_id = place(user, [(tea, 2), (cup, 1)])

    order = wait_status(order_id, "awaiting_payment", "cancelled")
    assert order.status == "awaiting_payment"
    assert order.total == 2 * 250 + 1_000
    assert order.payment_deadline is not None

    assert saga_client.request_payment(order_id, user) == "started"
    order = wait_final(order_id)
    assert (order.status, order.reason) == ("completed", None)
    assert seed.stock_of(tea) == (8, 0) and seed.stock_of(cup) == (4, 0)
    assert seed.wallet_of(user) == 10_000 - 1_500
    assert [e.amount for e in seed.entries(order_id)] == [-1_500]
    assert event_names(order_id) == list(FORWARD)
    assert {r.status for r in seed.reservations(order_id)} == {"sold"}


def test_second_payment_request_is_told_it_lost(worker):
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=100)
    order_id = place_and_pay(user, [(tea, 1)])
    assert saga_client.request_payment(order_id, user) == "already_started"
    wait_final(order_id)
    assert saga_client.request_payment(order_id, user) == "already_started"
    assert seed.wallet_of(user) == 900
    assert len(seed.entries(order_id, "debit")) == 1


def test_payment_of_someone_elses_or_unknown_order_is_not_found(worker):
    owner, stranger = seed.user(balance=1_000), seed.user(balance=1_000)
    tea = seed.product()
    order_id = place(owner, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    assert saga_client.request_payment(order_id, stranger) == "not_found"
    assert saga_client.request_cancel(order_id, stranger) == "not_found"
    assert saga_client.request_payment("00000000-0000-4000-8000-000000000000", owner) == "not_found"
    assert seed.order(order_id).status == "awaiting_payment"


def test_same_idempotency_key_creates_one_order(worker):
    user = seed.user()
    tea = seed.product()
    first = place(user, [(tea, 1)], key="k-1")
    assert place(user, [(tea, 1)], key="k-1") == first
    assert seed.count_orders(user) == 1
