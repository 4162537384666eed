"""The payment clock: a countdown task (and a beat sweeper behind it) cancels an unpaid order;
paying, cancelling and timing out are compare-and-set, so exactly one of them wins."""
from __future__ import annotations

from datetime import timedelta

import pytest

from db.base import utcnow
from tasks import payment_clock
from tests.integration.saga_helpers import event_names, place, wait_final, wait_status
from tests.support import seed
from tests.support.wait import wait_until
from web.shop import saga_client

TIMEOUT = 5


@pytest.fixture(scope="module")
def clock_worker(swap_worker):
    with swap_worker({"EMARKET_PAYMENT_TIMEOUT": str(TIMEOUT)}) as w:
        yield w


def test_unpaid_order_is_cancelled_and_a_late_payment_refused(clock_worker):
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=100)
    order_id = place(user, [(tea, 1)])
    awaiting = wait_status(order_id, "awaiting_payment")
    assert timedelta(seconds=TIMEOUT - 1) < awaiting.payment_deadline - awaiting.created_at < timedelta(seconds=TIMEOUT + 2)
    order = wait_final(order_id, timeout=TIMEOUT + 60)
    assert (order.status, order.reason) == ("cancelled", "payment_timeout")
    assert order.updated_at >= awaiting.payment_deadline
    assert saga_client.request_payment(order_id, user) == "not_payable"
    assert seed.wallet_of(user) == 1_000 and seed.stock_of(tea) == (3, 0)
    assert event_names(order_id)[-1] == "cancelled"


def test_payment_just_before_the_deadline_wins(clock_worker):
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=100)
    order_id = place(user, [(tea, 1)])
    deadline = wait_status(order_id, "awaiting_payment").payment_deadline
    # The moment under test is a point in time: wait for it, then pay.
    wait_until(lambda: utcnow() >= deadline - timedelta(seconds=2), timeout=TIMEOUT + 5, interval=0.01)
    assert saga_client.request_payment(order_id, user) == "started"
    assert wait_final(order_id).status == "completed"
    wait_until(lambda: utcnow() > deadline + timedelta(seconds=0.5), timeout=TIMEOUT + 5, interval=0.05)
    # The countdown fired (or fires) and does nothing; run it once more to see it say so.
    assert payment_clock.payment_timeout.apply_async((order_id,), ignore_result=False).get(timeout=20) is False
    order = seed.order(order_id)
    assert (order.status, order.reason) == ("completed", None)
    assert event_names(order_id).count("cancelled") == 0
    assert seed.wallet_of(user) == 900


def test_sweeper_cancels_an_order_whose_countdown_was_lost(worker):
    """An order left awaiting payment past its deadline with no countdown anywhere (as if the
    message were lost): the beat job's sweep cancels it."""
    import uuid

    from db.emarket import Order
    from emarket.storage import unit_of_work

    order_id = str(uuid.uuid4())
    with unit_of_work("emarket") as uow:
        uow.session.add(Order(id=order_id, user_id=seed.user(), status="awaiting_payment", total=100,
                              payment_deadline=utcnow() - timedelta(seconds=1)))
    swept = payment_clock.cancel_overdue.apply_async(ignore_result=False).get(timeout=20)
    assert swept >= 1
    order = seed.order(order_id)
    assert (order.status, order.reason) == ("cancelled", "payment_timeout")
    assert event_names(order_id) == ["cancelled"]
