"""Every method of the stores under ``db/stores`` on real PostgreSQL, called with its typed
parameters as the business modules call it: what each statement writes when its condition
holds, and that it writes nothing when it does not. (The concurrent twins of the steps built on
them are in the other files of this folder.)"""
from __future__ import annotations

import uuid

from db.account import User, Wallet
from db.base import utcnow
from db.emarket import Order, OrderItem
from db.stores import audit, events, orders, stock, wallet
from db.stores.events import Event
from tests.db import rows


def _event(order_id: str, name: str) -> Event:
    return Event(order_id=order_id, name=name, detail="d", at=utcnow(), task_id="t-1", worker="w", attempt=1)


def _order(uow_factory, status: str, items: list[tuple[int, int]], total: int | None = None) -> str:
    order_id = str(uuid.uuid4())
    with uow_factory("emarket") as uow:
        uow.session.add(Order(id=order_id, user_id=1, status=status, total=total))
        uow.session.flush()
        uow.session.add_all([OrderItem(order_id=order_id, product_id=p, quantity=q) for p, q in items])
    return order_id


def _move(order_id: str, target: str, sources: tuple[str, ...], **kw) -> orders.Move:
    return orders.Move(order_id=order_id, target=target, sources=sources, now=utcnow(), **kw)


def test_events_record_once_and_list_in_order(uow_factory):
    order_id = _order(uow_factory, "accepted", [])
    with uow_factory("emarket") as uow:
        assert events.record(uow.connection(), _event(order_id, "accepted")) is True
        assert events.record(uow.connection(), _event(order_id, "accepted")) is False
        assert events.record(uow.connection(), _event(order_id, "registered")) is True
        assert events.names(uow.session, order_id) == ["accepted", "registered"]


def test_orders_move_prices_and_records_only_when_it_moves(uow_factory):
    tea = rows.product(lambda: uow_factory("emarket"), 10)
    order_id = _order(uow_factory, "processing", [(tea, 2)])
    move = _move(order_id, "awaiting_payment", ("processing",), when=("not_claimed_for_compensation",),
                 event=_event(order_id, "awaiting_payment"), values={"total": 240}, prices={tea: 120})
    with uow_factory("emarket") as uow:
        assert orders.move(uow.connection(), move) is True
        assert orders.move(uow.connection(), move) is False  # no longer processing
        assert events.names(uow.session, order_id) == ["awaiting_payment"]
        assert uow.session.get(OrderItem, (order_id, tea)).price == 120
        assert uow.session.get(Order, order_id).total == 240


def test_orders_start_payment_reads_and_claim_then_blocks_completion(uow_factory):
    tea = rows.product(lambda: uow_factory("emarket"), 10)
    order_id = _order(uow_factory, "awaiting_payment", [(tea, 3)], total=300)
    with uow_factory("emarket") as uow:
        uow.session.get(Order, order_id).payment_deadline = utcnow().replace(year=2999)
    start = _move(order_id, "payment_started", ("awaiting_payment",), when=("owned", "before_deadline"),
                  event=_event(order_id, "payment_started"), values={"payment_request_id": "r-1"}, user_id=1)
    with uow_factory("emarket") as uow:
        [row] = orders.start_payment(uow.connection(), start)
        assert row.won and (row.product_id, row.quantity, row.total) == (tea, 3, 300)
        assert row.payment_request_id is None  # the read sees the order as before the statement
        assert orders.payment_read(uow.connection(), order_id)[0].payment_request_id == "r-1"
        assert orders.claim(uow.connection(), order_id, ("payment_started",), "failed", utcnow()) is True
        assert orders.claim(uow.connection(), order_id, ("payment_started",), "failed", utcnow()) is False
        complete = _move(order_id, "completed", ("payment_started",), when=("not_claimed_for_compensation",),
                         event=_event(order_id, "completed"))
        assert orders.complete_and_sell(uow.connection(), complete) is False


def test_stock_check_reserve_and_settle(uow_factory):
    uow_of = lambda: uow_factory("emarket")  # noqa: E731
    tea, cake = rows.product(uow_of, 5), rows.product(uow_of, 1)
    order_id = _order(uow_factory, "payment_started", [(tea, 2), (cake, 1)])
    with uow_of() as uow:
        conn = uow.connection()
        assert stock.check(conn, [(tea, 9)], _event(order_id, "stock_checked"))[tea].count == 5
        assert events.names(uow.session, order_id) == []  # not available: no event
        assert set(stock.check(conn, [(tea, 2), (cake, 1)], _event(order_id, "stock_checked"))) == {tea, cake}
        assert events.names(uow.session, order_id) == ["stock_checked"]
        short = stock.reserve(conn, order_id, [(cake, 2), (tea, 2)], utcnow(), None)
        assert short.saw_none and short.taken == [] and short.available == [tea]
        assert not stock.any_reserved(conn, order_id)
        done = stock.reserve(conn, order_id, [(cake, 1), (tea, 2)], utcnow(), _event(order_id, "stock_reserved"))
        assert sorted(done.taken) == sorted([tea, cake]) and stock.any_reserved(conn, order_id)
        again = stock.reserve(conn, order_id, [(cake, 1), (tea, 2)], utcnow(), None)
        assert not again.saw_none and again.taken == []
        assert stock.statuses(conn, order_id) == ["held", "held"]
        assert stock.product_exists(conn, tea) and not stock.product_exists(conn, 10**9)
        assert stock.settle(conn, order_id, "sold", utcnow()) == 3
        assert stock.settle(conn, order_id, "sold", utcnow()) == 0
        assert stock.units_in(conn, order_id, "sold") == 3
    assert rows.stock_of(uow_of, tea) == (3, 0) and rows.stock_of(uow_of, cake) == (0, 0)


def test_wallet_charge_once_entry_and_refund(uow_factory):
    with uow_factory("account") as uow:
        uow.session.add(User(id=5, email="w@example.com"))
        uow.session.flush()
        uow.session.add(Wallet(user_id=5, balance=500))
    with uow_factory("account") as uow:
        conn = uow.connection()
        assert wallet.charge(conn, 5, "o-1", 900, utcnow()) == (False, True)
        assert wallet.charge(conn, 5, "o-1", 300, utcnow()) == (True, True)
        assert wallet.charge(conn, 5, "o-1", 100, utcnow()) == (False, False)  # a debit exists
        assert wallet.entry(conn, "o-1", "debit") == (5, -300)
        assert wallet.entry(conn, "o-1", "refund") is None
        wallet.refund(conn, 5, "o-1", 300, utcnow())
        assert wallet.entry(conn, "o-1", "refund") == (5, 300)
        assert audit.payments(conn) == [audit.Payment("o-1", 300, 300)]
        assert audit.wallets_off_their_ledger(conn) == [audit.WalletGap(5, 500, 0)]  # seeded without a ledger entry
