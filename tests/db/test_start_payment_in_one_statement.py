"""``order.start_payment`` on real PostgreSQL: the compare-and-set, its event and the payment's
read are ONE statement, whose read sees the order as it was before the statement. Every
outcome must still be the one the order's committed state gives, also for a request that
waited on the row while another request won."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import event

from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from emarket import order as orders
from tests.db.rows import someone_waits_for_a_lock
from tests.support.wait import wait_until

OWNER = 7


@pytest.fixture
def url(emarket_pg_url):
    return emarket_pg_url


@pytest.fixture
def uow_of(url):
    """A unit of work whose statements commit alone, as the step's."""
    return lambda: UnitOfWork(get_engine(url, autocommit=True))


def _awaiting_payment(url, timeout_seconds: int = 60) -> str:
    with UnitOfWork(get_engine(url)) as uow:
        order_id = orders.place(uow, OWNER, [{"product_id": 2, "quantity": 1}, {"product_id": 1, "quantity": 3}]).order_id
    with UnitOfWork(get_engine(url)) as uow:
        orders.register(uow, order_id)
    with UnitOfWork(get_engine(url)) as uow:
        orders.await_payment(uow, order_id, {"1": 100, "2": 250}, timeout_seconds)
    return order_id


def _start(uow_of, order_id: str, user_id: int = OWNER, request_id: str | None = None):
    with uow_of() as uow:
        return orders.start_payment(uow, order_id, user_id, request_id or str(uuid.uuid4()))


def test_the_winner_gets_the_context_in_one_statement(url, uow_of):
    order_id = _awaiting_payment(url)
    statements = []
    engine = get_engine(url, autocommit=True)
    listener = lambda *args: statements.append(args[2])  # noqa: E731 — the statement's text
    event.listen(engine, "before_cursor_execute", listener)
    try:
        outcome, ctx = _start(uow_of, order_id, request_id="first")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert outcome == "started"
    assert (ctx.order_id, ctx.user_id, ctx.total, ctx.items) == (order_id, OWNER, 550, ((1, 3), (2, 1)))
    assert _start(uow_of, order_id, request_id="first")[0] == "started"  # its redelivery
    assert _start(uow_of, order_id, request_id="second") == ("already_started", None)


def test_the_outcomes_no_request_can_win(url, uow_of):
    order_id = _awaiting_payment(url)
    assert _start(uow_of, order_id, user_id=OWNER + 1) == ("not_found", None)
    assert _start(uow_of, str(uuid.uuid4())) == ("not_found", None)
    overdue = _awaiting_payment(url, timeout_seconds=-1)
    assert _start(uow_of, overdue) == ("not_payable", None)
    # The stranger and the overdue request moved nothing: the owner can still pay.
    assert _start(uow_of, order_id)[0] == "started"


def test_a_request_that_waited_on_the_winner_hears_already_started(url, uow_of):
    order_id = _awaiting_payment(url)
    first = UnitOfWork(get_engine(url))  # the winner, in a transaction held open
    first.__enter__()
    assert orders.start_payment(first, order_id, OWNER, "first")[0] == "started"
    results = {}

    def second():
        results["second"] = _start(uow_of, order_id, request_id="second")

    thread = threading.Thread(target=second)
    thread.start()
    wait_until(lambda: someone_waits_for_a_lock(lambda: UnitOfWork(get_engine(url))), timeout=10,
               what="the second request to wait for the winner's lock")
    first.__exit__(None, None, None)  # commit: the second request's snapshot predates it
    thread.join(timeout=10)
    assert results == {"second": ("already_started", None)}
