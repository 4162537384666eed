"""The steps whose statements commit alone (``unit_of_work(..., autocommit=True)``) write
nothing unless everything holds, on real PostgreSQL, where each statement is its own
transaction and no rollback can take a half-done write back.

The hard case is READ COMMITTED: a reservation that waits on a product row another order holds
must judge that row as it is once the other order committed, not as its snapshot saw it, and
then take every item of its order or none."""
from __future__ import annotations

import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from db.emarket import Order, Reservation, SagaEvent
from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from emarket import stock
from emarket.errors import OutOfStock, UnknownProduct
from tests.db import rows
from tests.support.databases import truncate_all
from tests.support.wait import wait_until


@pytest.fixture
def pg(_pg_urls):
    """(a unit of work in one transaction, one whose statements commit alone) on PostgreSQL."""
    truncate_all(_pg_urls)
    url = _pg_urls["emarket"]
    yield (lambda: UnitOfWork(get_engine(url))), (lambda: UnitOfWork(get_engine(url, autocommit=True)))
    truncate_all(_pg_urls)


def _reserved_items(uow_of, order_id: str) -> list[int]:
    with uow_of() as uow:
        return list(uow.session.scalars(select(Reservation.product_id).where(Reservation.order_id == order_id)))


def test_a_reservation_that_waited_judges_the_row_as_committed_and_takes_nothing(pg):
    """Its snapshot saw the second item available; the order holding it took it meanwhile. The
    first item (locked first, in id order) must not stay reserved."""
    transactional, alone = pg
    first_item, second_item = rows.product(transactional, count=5), rows.product(transactional, count=5)
    other = transactional()
    other.__enter__()
    stock.reserve(other, "other", [[second_item, 4]])  # holds the second row, not committed yet
    outcome = {}

    def late_order():
        try:
            with alone() as uow:
                stock.reserve(uow, "late", [[first_item, 1], [second_item, 2]], event=None)
            outcome["late"] = "reserved"
        except Exception as error:  # noqa: BLE001 — what the step would see
            outcome["late"] = error

    thread = threading.Thread(target=late_order)
    thread.start()
    wait_until(lambda: rows.someone_waits_for_a_lock(transactional), timeout=10,
               what="the late order to wait for the other's row")
    other.__exit__(None, None, None)
    thread.join(timeout=10)
    assert isinstance(outcome["late"], OutOfStock) and f"product {second_item}" in str(outcome["late"])
    assert rows.stock_of(transactional, first_item) == (5, 0) and rows.stock_of(transactional, second_item) == (5, 4)
    assert _reserved_items(transactional, "late") == []


def test_a_shortage_or_an_unknown_product_reserves_nothing_alone(pg):
    transactional, alone = pg
    plenty, scarce = rows.product(transactional, count=10), rows.product(transactional, count=1)
    with pytest.raises(OutOfStock, match=f"product {scarce}"):
        with alone() as uow:
            stock.reserve(uow, "greedy", [[plenty, 1], [scarce, 2]])
    with pytest.raises(UnknownProduct):
        with alone() as uow:
            stock.reserve(uow, "lost", [[plenty, 1], [scarce + 1000, 1]])
    assert rows.stock_of(transactional, plenty) == (10, 0) and rows.stock_of(transactional, scarce) == (1, 0)
    assert _reserved_items(transactional, "greedy") == _reserved_items(transactional, "lost") == []


def test_concurrent_orders_each_reserve_every_item_or_none(pg):
    """Many orders of two or three items over a few scarce products, eight at a time, each
    statement committing alone: no order is left half reserved and the stock adds up."""
    transactional, alone = pg
    products = [rows.product(transactional, count=6) for _ in range(4)]
    rng = random.Random(14)
    orders = {str(uuid.uuid4()): [[p, rng.randint(1, 3)] for p in sorted(rng.sample(products, rng.randint(2, 3)))]
              for _ in range(48)}

    def shopper(order):
        order_id, items = order
        try:
            with alone() as uow:
                stock.reserve(uow, order_id, items)
        except OutOfStock:
            pass

    with ThreadPoolExecutor(max_workers=8) as pool:
        failures = [f.exception() for f in [pool.submit(shopper, o) for o in orders.items()] if f.exception()]
    assert failures == []
    held = dict.fromkeys(products, 0)
    reserved_orders = 0
    for order_id, items in orders.items():
        taken = sorted(_reserved_items(transactional, order_id))
        assert taken in ([], sorted(p for p, _ in items)), (order_id, items, taken)
        reserved_orders += bool(taken)
        for product_id, quantity in items if taken else ():
            held[product_id] += quantity
    assert 0 < reserved_orders < len(orders)  # some won, some were short: the race was real
    for product_id in products:
        count, reserved = rows.stock_of(transactional, product_id)
        assert reserved == held[product_id] <= count


def test_a_failed_check_records_no_event(uow_factory):
    """The check's event travels with its read; a shortage must not leave it behind, also when
    the statement commits alone."""
    url = uow_factory("emarket")._engine.url.render_as_string(hide_password=False)
    alone = lambda: UnitOfWork(get_engine(url, autocommit=True))  # noqa: E731
    order_id = str(uuid.uuid4())
    with alone() as uow:
        uow.session.add(Order(id=order_id, user_id=1, status="processing"))
    tea = rows.product(alone, count=2)
    with pytest.raises(OutOfStock):
        with alone() as uow:
            stock.check(uow, [[tea, 3]], event=(order_id, "stock_checked"))
    with alone() as uow:
        assert stock.check(uow, [[tea, 2]], event=(order_id, "stock_checked")) == {str(tea): 100}
    with alone() as uow:
        names = list(uow.session.scalars(select(SagaEvent.name).where(SagaEvent.order_id == order_id)))
    assert names == ["stock_checked"]
