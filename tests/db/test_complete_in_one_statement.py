"""``order.complete`` on real PostgreSQL: the order's compare-and-set, its event and the sale
of its reservation are ONE statement that commits alone, so it must sell only when it
completes the order, and a twin of the step (a duplicated message) must sell nothing twice."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import event, select

from db.base import utcnow
from db.emarket import Order, Reservation, SagaEvent
from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from emarket import order as orders
from emarket import order_status as st
from emarket import stock
from emarket.errors import InvalidTransition
from tests.db import rows
from tests.support.wait import wait_until


@pytest.fixture
def url(emarket_pg_url):
    return emarket_pg_url


@pytest.fixture
def pg(url):
    """(a unit of work in one transaction, one whose statements commit alone) on PostgreSQL."""
    return (lambda: UnitOfWork(get_engine(url))), (lambda: UnitOfWork(get_engine(url, autocommit=True)))


def _paying_order(uow_of, product: int, quantity: int, status: str = st.PAYMENT_STARTED,
                  failure_reason: str | None = None) -> str:
    """An order in ``status`` whose reservation of ``quantity`` units is held."""
    order_id = str(uuid.uuid4())
    with uow_of() as uow:
        uow.session.add(Order(id=order_id, user_id=1, status=status, total=100 * quantity,
                              failure_reason=failure_reason, created_at=utcnow(), updated_at=utcnow()))
        uow.session.flush()
        stock.reserve(uow, order_id, [[product, quantity]])
    return order_id


def _reservation(uow_of, order_id: str) -> str:
    with uow_of() as uow:
        return uow.session.scalar(select(Reservation.status).where(Reservation.order_id == order_id))


def _events(uow_of, order_id: str) -> list[str]:
    with uow_of() as uow:
        return list(uow.session.scalars(select(SagaEvent.name).where(SagaEvent.order_id == order_id)))


def test_complete_sells_in_the_one_statement_that_completes(pg, url):
    in_transaction, alone = pg
    product = rows.product(in_transaction, count=10)
    order_id = _paying_order(in_transaction, product, 3)
    statements = []
    engine = get_engine(url, autocommit=True)
    listener = lambda *args: statements.append(args[2])  # noqa: E731 — the statement's text
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with alone() as uow:
            assert orders.complete(uow, order_id) is True
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert rows.stock_of(in_transaction, product) == (7, 0)
    assert _reservation(in_transaction, order_id) == "sold"
    assert _events(in_transaction, order_id).count("completed") == 1
    with alone() as uow:  # a redelivery: done already, nothing sold twice
        assert orders.complete(uow, order_id) is False
    assert rows.stock_of(in_transaction, product) == (7, 0)


@pytest.mark.parametrize("status, failure_reason", [(st.AWAITING_PAYMENT, None),
                                                    (st.PAYMENT_STARTED, "insufficient_funds")])
def test_an_order_it_may_not_complete_sells_nothing(pg, status, failure_reason):
    in_transaction, alone = pg
    product = rows.product(in_transaction, count=10)
    order_id = _paying_order(in_transaction, product, 3, status, failure_reason)
    with alone() as uow, pytest.raises(InvalidTransition):
        orders.complete(uow, order_id)
    assert rows.stock_of(in_transaction, product) == (10, 3)  # still reserved, not sold
    assert _reservation(in_transaction, order_id) == "held"
    assert "completed" not in _events(in_transaction, order_id)


def test_a_twin_that_waited_on_the_order_sells_nothing(pg):
    in_transaction, alone = pg
    product = rows.product(in_transaction, count=10)
    order_id = _paying_order(in_transaction, product, 3)
    first = in_transaction()
    first.__enter__()
    assert orders.complete(first, order_id) is True  # holds the order's row, not committed yet
    results = {}

    def twin():
        with alone() as uow:
            results["twin"] = orders.complete(uow, order_id)

    thread = threading.Thread(target=twin)
    thread.start()
    wait_until(lambda: rows.someone_waits_for_a_lock(in_transaction), timeout=10,
               what="the twin to wait for the first's lock")
    first.__exit__(None, None, None)  # commit: the twin goes on and finds the order completed
    thread.join(timeout=10)
    assert results == {"twin": False}
    assert rows.stock_of(in_transaction, product) == (7, 0)
    assert _events(in_transaction, order_id).count("completed") == 1
