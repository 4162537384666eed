"""Two copies of one settle step (a duplicated ``product.release`` or ``order.complete``
message) running at the same moment on real PostgreSQL: the stock moves once.

Found by the chaos run: both copies read the reservation as held, the second waited on the
product row's lock and then subtracted the units again, leaving ``reserved`` short of the
held reservations (another order's release then failed the check constraint for ever)."""
from __future__ import annotations

import threading

import pytest

from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from emarket import stock
from tests.db import rows
from tests.support.databases import truncate_all
from tests.support.wait import wait_until


@pytest.fixture
def pg(_pg_urls):
    truncate_all(_pg_urls)
    yield lambda: UnitOfWork(get_engine(_pg_urls["emarket"]))
    truncate_all(_pg_urls)


@pytest.mark.parametrize("settle, expected", [(stock.release, (10, 3)), (stock.sell, (7, 3))])
def test_two_concurrent_settles_move_the_stock_once(pg, settle, expected):
    product = rows.product(pg, count=10)
    with pg() as uow:
        stock.reserve(uow, "twin", [[product, 3]])
        stock.reserve(uow, "other", [[product, 3]])  # held by another order: must stay reserved
    results = {}
    first = pg()
    first.__enter__()
    results["first"] = settle(first, "twin")  # holds its locks, not committed yet

    def twin():
        with pg() as uow:
            results["second"] = settle(uow, "twin")

    thread = threading.Thread(target=twin)
    thread.start()
    wait_until(lambda: rows.someone_waits_for_a_lock(pg), timeout=10, what="the twin to wait for the first's lock")
    first.__exit__(None, None, None)  # commit: the twin goes on
    thread.join(timeout=10)
    assert results == {"first": 3, "second": 3}  # each reports the units settled, as a repeat does
    assert rows.stock_of(pg, product) == expected
    with pg() as uow:
        assert stock.release(uow, "other") == 3  # the other order's units were still reserved
    assert rows.stock_of(pg, product)[1] == 0


def test_a_twin_of_reserve_retries_instead_of_failing_on_its_own_reservation(pg):
    """The twin's shortage is the first copy's reservation: not out of stock, a retry."""
    from emarket.errors import TransientError

    product = rows.product(pg, count=2)
    results = {}
    first = pg()
    first.__enter__()
    stock.reserve(first, "twin", [[product, 2]])  # the last two units, not committed yet

    def twin():
        try:
            with pg() as uow:
                stock.reserve(uow, "twin", [[product, 2]])
            results["second"] = "reserved"
        except Exception as error:  # noqa: BLE001 — what the step's retry policy sees
            results["second"] = type(error).__name__

    thread = threading.Thread(target=twin)
    thread.start()
    wait_until(lambda: rows.someone_waits_for_a_lock(pg), timeout=10, what="the twin to wait for the first's lock")
    first.__exit__(None, None, None)
    thread.join(timeout=10)
    assert results["second"] == TransientError.__name__  # retried by SagaStep, not compensated
    with pg() as uow:
        stock.reserve(uow, "twin", [[product, 2]])  # the retry: finds the reservation, passes it on
    assert rows.stock_of(pg, product) == (2, 2)


def test_a_real_shortage_on_a_later_item_is_still_out_of_stock(pg):
    from emarket.errors import OutOfStock

    plenty, scarce = rows.product(pg, count=10), rows.product(pg, count=1)
    with pytest.raises(OutOfStock):
        with pg() as uow:
            stock.reserve(uow, "greedy", [[plenty, 1], [scarce, 2]])
    assert rows.stock_of(pg, plenty) == (10, 0) and rows.stock_of(pg, scarce) == (1, 0)
