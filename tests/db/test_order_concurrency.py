"""Two copies of ``order.await_payment`` (a duplicated message, or a redelivery while the first
copy still runs) on real PostgreSQL: the second finds the first's result and passes it on.

Found by the chaos run: the second copy lost the compare-and-set, raised, and its error
callback cancelled the order (reason ``failed``) — after the user had started paying."""
from __future__ import annotations

import threading

import pytest

from db.emarket import Order
from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from emarket import order as orders
from emarket import saga_events
from tests.db.rows import someone_waits_for_a_lock
from tests.support.databases import truncate_all
from tests.support.wait import wait_until


@pytest.fixture
def pg(_pg_urls):
    truncate_all(_pg_urls)
    yield lambda: UnitOfWork(get_engine(_pg_urls["emarket"]))
    truncate_all(_pg_urls)


def test_a_twin_of_await_payment_passes_the_first_result_on(pg):
    with pg() as uow:
        order_id = orders.place(uow, 7, [{"product_id": 1, "quantity": 2}]).order_id
    with pg() as uow:
        orders.register(uow, order_id)
    prices = {"1": 250}
    results = {}
    first = pg()
    first.__enter__()
    results["first"] = orders.await_payment(first, order_id, prices, 60)  # not committed yet

    def twin():
        with pg() as uow:
            results["second"] = orders.await_payment(uow, order_id, prices, 60)

    thread = threading.Thread(target=twin)
    thread.start()
    wait_until(lambda: someone_waits_for_a_lock(pg), timeout=10, what="the twin to wait for the first's lock")
    first.__exit__(None, None, None)
    thread.join(timeout=10)
    assert results["second"] == results["first"]
    with pg() as uow:
        order = uow.session.get(Order, order_id)
        assert (order.status, order.total, order.payment_deadline) == ("awaiting_payment", 500, results["first"])
        assert saga_events.names(uow, order_id) == ["accepted", "registered", "awaiting_payment"]
