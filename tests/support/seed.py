"""Test data written straight into the databases (the shop's own rows, no shortcuts in logic)."""
from __future__ import annotations

import itertools
import os
import random

from sqlalchemy import func, select

from db.account import User, Wallet, WalletEntry
from db.emarket import Order, ProductAccounting, ProductDesc, Reservation, SagaEvent
from emarket.storage import unit_of_work

_ids = itertools.count(random.randrange(10**6, 10**9, 1000) + os.getpid() % 1000)


def user(balance: int = 0, ledger: bool = False) -> int:
    """A user with an e-wallet holding ``balance``; a fresh id every call. ``ledger``: the
    balance is credited through the ledger too (an ``adjustment`` entry, as ``emarket wallet
    credit`` writes), so the audit of the books finds this wallet true."""
    user_id = next(_ids)
    with unit_of_work("account") as uow:
        uow.session.add(User(id=user_id, email=f"u{user_id}@example.com", name="Test"))
        uow.session.flush()
        uow.session.add(Wallet(user_id=user_id, balance=balance))
        if balance and ledger:
            uow.session.flush()
            uow.session.add(WalletEntry(user_id=user_id, kind="adjustment", amount=balance))
    return user_id


def product(count: int = 10, price: int = 250, name: str = "Tea") -> int:
    with unit_of_work("emarket") as uow:
        desc = ProductDesc(name=name, description="")
        uow.session.add(desc)
        uow.session.flush()
        uow.session.add(ProductAccounting(product_id=desc.id, count=count, reserved=0, price=price))
        return desc.id


def stock_of(product_id: int) -> tuple[int, int]:
    """(count on hand, reserved)."""
    with unit_of_work("emarket") as uow:
        row = uow.session.get(ProductAccounting, product_id)
        return row.count, row.reserved


def wallet_of(user_id: int) -> int:
    """The wallet's balance."""
    with unit_of_work("account") as uow:
        return uow.session.get(Wallet, user_id).balance


def order(order_id: str) -> Order:
    with unit_of_work("emarket") as uow:
        return uow.session.get(Order, order_id)


def events(order_id: str) -> list[tuple[str, str]]:
    with unit_of_work("emarket") as uow:
        return [(e.name, e.detail) for e in uow.session.scalars(
            select(SagaEvent).where(SagaEvent.order_id == order_id).order_by(SagaEvent.at, SagaEvent.id))]


def entries(order_id: str, kind: str | None = None) -> list[WalletEntry]:
    with unit_of_work("account") as uow:
        query = select(WalletEntry).where(WalletEntry.order_id == order_id)
        if kind:
            query = query.where(WalletEntry.kind == kind)
        return list(uow.session.scalars(query))


def reservations(order_id: str) -> list[Reservation]:
    with unit_of_work("emarket") as uow:
        return list(uow.session.scalars(select(Reservation).where(Reservation.order_id == order_id)))


def count_orders(user_id: int) -> int:
    with unit_of_work("emarket") as uow:
        return uow.session.scalar(select(func.count()).select_from(Order).where(Order.user_id == user_id))
