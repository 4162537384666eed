"""Planting each kind of inconsistency the auditor looks for (``emarket.audit``), with the
project's own steps where one writes it (a charge, a reservation) and plain rows where only a
bug or an outage could (a completed order never charged, a wallet written past its ledger)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update

from db.account import Topup, Wallet
from db.bank import BankAccount, BankHold
from db.base import utcnow
from db.emarket import Order, OrderItem
from emarket import stock, wallet
from emarket.audit import TOPUP_REFERENCE
from emarket.storage import unit_of_work
from tests.support import seed


def order(status: str, user_id: int, items: list[tuple[int, int]], total: int, reason: str | None = None) -> str:
    """An order in ``status`` with its items, as its saga would have left it."""
    order_id = str(uuid.uuid4())
    with unit_of_work("emarket") as uow:
        uow.session.add(Order(id=order_id, user_id=user_id, status=status, reason=reason, total=total))
        uow.session.flush()
        uow.session.add_all([OrderItem(order_id=order_id, product_id=p, quantity=q, price=total // q) for p, q in items])
    return order_id


def charge(user_id: int, order_id: str, amount: int) -> None:
    with unit_of_work("account") as uow:
        wallet.charge(uow, user_id, order_id, amount)


def refund(order_id: str) -> None:
    with unit_of_work("account") as uow:
        wallet.refund(uow, order_id)


def reserve(order_id: str, items: list[tuple[int, int]], sell: bool = False) -> None:
    with unit_of_work("emarket") as uow:
        stock.reserve(uow, order_id, [list(i) for i in items])
        if sell:
            stock.sell(uow, order_id)


def off_ledger(user_id: int, by: int) -> None:
    """The wallet's balance moved without a ledger entry."""
    with unit_of_work("account") as uow:
        uow.session.execute(update(Wallet).where(Wallet.user_id == user_id).values(balance=Wallet.balance + by))


def captured_hold(amount: int, topup_id: str, age_seconds: float = 3600) -> str:
    """A bank hold for ``topup_id``, captured ``age_seconds`` ago."""
    number, hold_id, then = "4" + uuid.uuid4().hex[:19].translate(str.maketrans("abcdef", "123456")), str(uuid.uuid4()), \
        utcnow() - timedelta(seconds=age_seconds)
    with unit_of_work("bank") as uow:
        uow.session.add(BankAccount(number=number, owner="Planted", pin_hash="-", balance=0, held=0))
        uow.session.flush()
        uow.session.add(BankHold(id=hold_id, account_number=number, amount=amount, reference=TOPUP_REFERENCE + topup_id,
                                 status="captured", wrong_pins=0, expires_at=then, created_at=then, updated_at=then))
    return hold_id


def captured_topup(user_id: int, amount: int) -> str:
    """A top-up the bank captured whose credit never came (the shop's row says ``captured``)."""
    topup_id = str(uuid.uuid4())
    hold_id = captured_hold(amount, topup_id)
    with unit_of_work("account") as uow:
        uow.session.add(Topup(id=topup_id, user_id=user_id, amount=amount, bank_account="40000000000000000009",
                              status="captured", hold_id=hold_id))
    return topup_id


def new_user(balance: int = 10_000) -> int:
    return seed.user(balance=balance, ledger=True)
