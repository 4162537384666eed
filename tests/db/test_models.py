"""Every model written and read back, and the database itself refusing what must never be."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.account import Credential, Topup, User, Wallet, WalletEntry, WalletHold
from db.bank import BankAccount, BankHold
from db.base import utcnow
from db.emarket import Order, OrderItem, ProductAccounting, ProductDesc, Reservation, SagaEvent

ORDER_ID = "11111111-1111-4111-8111-111111111111"


def _seed_account(uow_factory):
    with uow_factory("account") as uow:
        uow.session.add(Credential(id=1, email="ann@example.com", password_hash="h", roles=["admin"]))
        uow.session.add(User(id=1, email="ann@example.com", name="Ann"))
        uow.session.flush()
        uow.session.add(Wallet(user_id=1, balance=5000))


def _seed_product(uow_factory, count=10):
    with uow_factory("emarket") as uow:
        product = ProductDesc(name="Tea", description="Green")
        uow.session.add(product)
        uow.session.flush()
        uow.session.add(ProductAccounting(product_id=product.id, count=count, reserved=0, price=250))
        return product.id


def _seed_order(uow_factory, product_id):
    with uow_factory("emarket") as uow:
        uow.session.add(Order(id=ORDER_ID, user_id=1, status="accepted"))
        uow.session.flush()
        uow.session.add(OrderItem(order_id=ORDER_ID, product_id=product_id, quantity=2))


def test_account_models_round_trip(uow_factory):
    _seed_account(uow_factory)
    with uow_factory("account") as uow:
        uow.session.add(WalletHold(user_id=1, order_id=ORDER_ID, amount=500, status="debited"))
        uow.session.add(WalletEntry(user_id=1, kind="debit", amount=-500, order_id=ORDER_ID))
        uow.session.add(Topup(id="t-1", user_id=1, amount=700, bank_account="123", status="initiated"))
    with uow_factory("account") as uow:
        cred = uow.session.get(Credential, 1)
        assert (cred.email, cred.roles) == ("ann@example.com", ["admin"])
        assert uow.session.get(User, 1).name == "Ann"
        assert uow.session.get(Wallet, 1).balance == 5000
        hold = uow.session.scalars(select(WalletHold)).one()
        assert (hold.order_id, hold.amount, hold.status) == (ORDER_ID, 500, "debited")
        entry = uow.session.scalars(select(WalletEntry)).one()
        assert (entry.kind, entry.amount) == ("debit", -500)
        topup = uow.session.get(Topup, "t-1")
        assert (topup.amount, topup.status) == (700, "initiated")
        assert topup.created_at.tzinfo is not None


def test_emarket_models_round_trip(uow_factory):
    product_id = _seed_product(uow_factory)
    _seed_order(uow_factory, product_id)
    deadline = utcnow() + timedelta(minutes=5)
    with uow_factory("emarket") as uow:
        order = uow.session.get(Order, ORDER_ID)
        order.status, order.total, order.payment_deadline = "awaiting_payment", 500, deadline
        uow.session.add(Reservation(order_id=ORDER_ID, product_id=product_id, quantity=2, status="held"))
        uow.session.add(SagaEvent(order_id=ORDER_ID, name="accepted", detail=""))
    with uow_factory("emarket") as uow:
        order = uow.session.get(Order, ORDER_ID)
        assert (order.status, order.total) == ("awaiting_payment", 500)
        assert abs(order.payment_deadline - deadline) < timedelta(milliseconds=1)
        assert uow.session.get(ProductDesc, product_id).name == "Tea"
        assert uow.session.get(ProductAccounting, product_id).price == 250
        assert uow.session.scalars(select(OrderItem)).one().quantity == 2
        assert uow.session.scalars(select(Reservation)).one().status == "held"
        assert uow.session.scalars(select(SagaEvent)).one().name == "accepted"


def test_bank_models_round_trip(uow_factory):
    with uow_factory("bank") as uow:
        uow.session.add(BankAccount(number="100200", owner="Ann", pin_hash="x", balance=900, held=0))
        uow.session.flush()
        uow.session.add(BankHold(id="h-1", account_number="100200", amount=100, reference="r",
                                 status="pending_confirmation", expires_at=utcnow()))
    with uow_factory("bank") as uow:
        assert uow.session.get(BankAccount, "100200").balance == 900
        assert uow.session.get(BankHold, "h-1").status == "pending_confirmation"


def test_database_rejects_negative_stock(uow_factory):
    product_id = _seed_product(uow_factory, count=1)
    with pytest.raises(IntegrityError):
        with uow_factory("emarket") as uow:
            uow.session.get(ProductAccounting, product_id).count = -1
    with uow_factory("emarket") as uow:
        assert uow.session.get(ProductAccounting, product_id).count == 1


def test_database_rejects_reserving_more_than_on_hand(uow_factory):
    product_id = _seed_product(uow_factory, count=1)
    with pytest.raises(IntegrityError):
        with uow_factory("emarket") as uow:
            uow.session.get(ProductAccounting, product_id).reserved = 2


def test_database_rejects_negative_wallet_balance(uow_factory):
    _seed_account(uow_factory)
    with pytest.raises(IntegrityError):
        with uow_factory("account") as uow:
            uow.session.get(Wallet, 1).balance = -1
    with uow_factory("account") as uow:
        assert uow.session.get(Wallet, 1).balance == 5000


def test_database_rejects_second_debit_for_one_order(uow_factory):
    _seed_account(uow_factory)
    with uow_factory("account") as uow:
        uow.session.add(WalletEntry(user_id=1, kind="debit", amount=-500, order_id=ORDER_ID))
    with pytest.raises(IntegrityError):
        with uow_factory("account") as uow:
            uow.session.add(WalletEntry(user_id=1, kind="debit", amount=-500, order_id=ORDER_ID))
    with uow_factory("account") as uow:
        assert len(uow.session.scalars(select(WalletEntry)).all()) == 1


def test_database_rejects_second_credit_for_one_topup(uow_factory):
    _seed_account(uow_factory)
    with uow_factory("account") as uow:
        uow.session.add(WalletEntry(user_id=1, kind="topup", amount=100, topup_id="t-1"))
    with pytest.raises(IntegrityError):
        with uow_factory("account") as uow:
            uow.session.add(WalletEntry(user_id=1, kind="topup", amount=100, topup_id="t-1"))


def test_database_rejects_duplicate_reservation(uow_factory):
    product_id = _seed_product(uow_factory)
    with uow_factory("emarket") as uow:
        uow.session.add(Reservation(order_id=ORDER_ID, product_id=product_id, quantity=1, status="held"))
    with pytest.raises(IntegrityError):
        with uow_factory("emarket") as uow:
            uow.session.add(Reservation(order_id=ORDER_ID, product_id=product_id, quantity=1, status="held"))


def test_database_rejects_non_positive_amounts(uow_factory):
    _seed_account(uow_factory)
    with pytest.raises(IntegrityError):
        with uow_factory("account") as uow:
            uow.session.add(Topup(id="t-0", user_id=1, amount=0, bank_account="1", status="initiated"))
    with pytest.raises(IntegrityError):
        with uow_factory("account") as uow:
            uow.session.add(WalletHold(user_id=1, order_id=ORDER_ID, amount=-5, status="debited"))
