"""Stock: check, reserve all-or-none, sell, release. Wallet: charge (check + freeze + debit)
and refund. Each idempotent."""
from __future__ import annotations

import pytest

from db.account import Wallet, WalletHold
from db.emarket import ProductAccounting
from emarket import stock, wallet
from emarket.errors import InsufficientFunds, InvalidTransition, OutOfStock, UnknownProduct


def _stock(uow, product_id):
    with uow("emarket") as u:
        row = u.session.get(ProductAccounting, product_id)
        return row.count, row.reserved


def test_check_prices_and_refuses_missing_or_short(uow, make_product):
    a, b = make_product(count=3, price=120), make_product(count=1, price=50)
    with uow("emarket") as u:
        assert stock.check(u, [[a, 3], [b, 1]]) == {str(a): 120, str(b): 50}
        with pytest.raises(OutOfStock) as short:
            stock.check(u, [[a, 4]])
        assert short.value.reason == "out_of_stock"
        with pytest.raises(UnknownProduct):
            stock.check(u, [[999, 1]])


def test_reserve_is_all_or_none(uow, make_product):
    a, b = make_product(count=5), make_product(count=1)
    with pytest.raises(OutOfStock):
        with uow("emarket") as u:
            stock.reserve(u, "o1", [[a, 2], [b, 2]])
    assert _stock(uow, a) == (5, 0) and _stock(uow, b) == (1, 0)


def test_reserve_sell_release_and_their_repeats(uow, make_product):
    a = make_product(count=5)
    for _ in range(2):
        with uow("emarket") as u:
            stock.reserve(u, "o1", [[a, 2]])
    assert _stock(uow, a) == (5, 2)
    with uow("emarket") as u:
        assert stock.sell(u, "o1") == 2
        assert stock.sell(u, "o1") == 2
    assert _stock(uow, a) == (3, 0)
    with uow("emarket") as u:
        stock.reserve(u, "o2", [[a, 1]])
        assert stock.release(u, "o2") == 1
        assert stock.release(u, "o2") == 1
    assert _stock(uow, a) == (3, 0)
    with pytest.raises(InvalidTransition):
        with uow("emarket") as u:
            stock.reserve(u, "o2", [[a, 1]])


def _wallet(uow, user_id):
    with uow("account") as u:
        row = u.session.get(Wallet, user_id)
        return row.balance


def test_charge_checks_freezes_and_debits_once(uow, make_wallet):
    user = make_wallet(balance=1_000)
    for _ in range(2):
        with uow("account") as u:
            wallet.charge(u, user, "o1", 400)
    assert _wallet(uow, user) == 600
    with uow("account") as u:
        from sqlalchemy import select

        assert [h.status for h in u.session.scalars(select(WalletHold))] == ["debited"]


def test_charge_refuses_insufficient_funds_and_moves_nothing(uow, make_wallet):
    user = make_wallet(balance=100)
    with pytest.raises(InsufficientFunds) as error:
        with uow("account") as u:
            wallet.charge(u, user, "o1", 101)
    assert error.value.reason == "insufficient_funds"
    assert _wallet(uow, user) == 100


def test_refund_once_and_never_without_a_debit(uow, make_wallet):
    user = make_wallet(balance=1_000)
    with uow("account") as u:
        assert wallet.refund(u, "o1") == 0
        wallet.charge(u, user, "o1", 300)
    with uow("account") as u:
        assert wallet.refund(u, "o1") == 300
        assert wallet.refund(u, "o1") == 300
    assert _wallet(uow, user) == 1_000
    with pytest.raises(InvalidTransition):
        with uow("account") as u:
            wallet.charge(u, user, "o1", 300)
