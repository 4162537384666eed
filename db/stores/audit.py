"""The auditor's reads (``emarket.audit``): what the books hold in each of the three databases,
one statement per question, read in one transaction per database (a consistent snapshot of
each; the auditor compares them across databases)."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, and_, case, func, literal, select

from db.account import Topup, Wallet, WalletEntry
from db.bank import BankHold
from db.emarket import Order, OrderItem, Reservation


class FinalOrder(NamedTuple):
    id: str
    status: str
    reason: str | None
    total: int | None


class Payment(NamedTuple):
    """One order's money in the ledger: its debit (as a positive amount, None if none) and refund."""
    order_id: str
    debited: int | None
    refunded: int | None


class WalletGap(NamedTuple):
    user_id: int
    balance: int
    ledger: int


class TopupCredit(NamedTuple):
    id: str
    status: str
    amount: int
    credits: int
    credited: int


class CapturedHold(NamedTuple):
    id: str
    amount: int
    reference: str
    updated_at: datetime


def final_orders(conn: Connection) -> list[FinalOrder]:
    query = select(Order.id, Order.status, Order.reason, Order.total).where(Order.status.in_(("completed", "cancelled")))
    return [FinalOrder(*row) for row in conn.execute(query)]


def cancelled_with_held_stock(conn: Connection) -> list[str]:
    """Cancelled orders that still hold a reservation."""
    query = (select(Order.id).join(Reservation, and_(Reservation.order_id == Order.id, Reservation.status == "held"))
             .where(Order.status == "cancelled").distinct())
    return list(conn.scalars(query))


def completed_not_sold(conn: Connection) -> list[str]:
    """Completed orders with an item whose reservation is not sold, in its quantity."""
    sold = and_(Reservation.order_id == OrderItem.order_id, Reservation.product_id == OrderItem.product_id,
                Reservation.status == "sold", Reservation.quantity == OrderItem.quantity)
    query = (select(Order.id).join(OrderItem, OrderItem.order_id == Order.id).outerjoin(Reservation, sold)
             .where(Order.status == "completed", Reservation.id.is_(None)).distinct())
    return list(conn.scalars(query))


def payments(conn: Connection) -> list[Payment]:
    """Every order's debit and refund in the ledger (one of each at most: unique (order, kind))."""
    debit = func.sum(case((WalletEntry.kind == "debit", -WalletEntry.amount)))
    refund = func.sum(case((WalletEntry.kind == "refund", WalletEntry.amount)))
    query = (select(WalletEntry.order_id, debit, refund).where(WalletEntry.order_id.is_not(None))
             .group_by(WalletEntry.order_id))
    return [Payment(*row) for row in conn.execute(query)]


def wallets_off_their_ledger(conn: Connection) -> list[WalletGap]:
    ledger = func.coalesce(func.sum(WalletEntry.amount), literal(0))
    query = (select(Wallet.user_id, Wallet.balance, ledger)
             .outerjoin(WalletEntry, WalletEntry.user_id == Wallet.user_id)
             .group_by(Wallet.user_id, Wallet.balance).having(Wallet.balance != ledger))
    return [WalletGap(*row) for row in conn.execute(query)]


def topup_credits(conn: Connection) -> list[TopupCredit]:
    """Every top-up with its credits in the ledger: how many, and how much."""
    query = (select(Topup.id, Topup.status, Topup.amount, func.count(WalletEntry.id),
                    func.coalesce(func.sum(WalletEntry.amount), literal(0)))
             .outerjoin(WalletEntry, and_(WalletEntry.topup_id == Topup.id, WalletEntry.kind == "topup"))
             .group_by(Topup.id, Topup.status, Topup.amount))
    return [TopupCredit(*row) for row in conn.execute(query)]


def captured_holds(conn: Connection, reference_prefix: str) -> list[CapturedHold]:
    query = (select(BankHold.id, BankHold.amount, BankHold.reference, BankHold.updated_at)
             .where(BankHold.status == "captured", BankHold.reference.startswith(reference_prefix, autoescape=True)))
    return [CapturedHold(*row) for row in conn.execute(query)]
