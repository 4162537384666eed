"""Mmoney's SQL: the charge as ONE statement (the conditional debit, its hold and its ledger
entry), an order's ledger entries, and the refund."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    Executable,
    String,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from db.account import Wallet, WalletEntry, WalletHold
from db.base import UTCDateTime


class Charged(NamedTuple):
    """Whether the statement charged, and whether its snapshot saw no debit of the order."""
    charged: bool
    saw_no_debit: bool


class Entry(NamedTuple):
    user_id: int
    amount: int


@lru_cache(maxsize=1)
def _charge_statement() -> Executable:
    # Not named after a column of the tables it updates (see db.stores.events.ORDER_ID).
    order_id, amount = bindparam("the_order", type_=String), bindparam("the_amount", type_=BigInteger)
    now = bindparam("now", type_=UTCDateTime)
    not_charged = ~exists(select(WalletEntry.id).where(WalletEntry.order_id == order_id, WalletEntry.kind == "debit"))
    moved = (update(Wallet).where(Wallet.user_id == bindparam("the_user"), Wallet.balance >= amount, not_charged)
             .values(balance=Wallet.balance - amount, updated_at=now).returning(Wallet.user_id).cte("moved"))
    held = insert(WalletHold).from_select(
        ["user_id", "order_id", "amount", "status", "created_at", "updated_at"],
        select(moved.c.user_id, order_id, amount, literal("debited", String), now, now)).cte("held")
    entry = insert(WalletEntry).from_select(
        ["user_id", "kind", "amount", "order_id", "created_at"],
        select(moved.c.user_id, literal("debit", String), -amount, order_id, now)).cte("entry")
    return select(select(func.count()).select_from(moved).scalar_subquery(), not_charged).add_cte(held).add_cte(entry)


def charge(conn: Connection, user_id: int, order_id: str, amount: int, now: datetime) -> Charged:
    """ONE statement: the conditional debit (the wallet holds ``amount``, and no debit of the
    order exists yet) with its hold and ledger rows as data-modifying CTEs. When it does not
    charge it writes nothing. A twin whose debit commits after this statement's snapshot trips
    the ledger's unique (order, kind): an IntegrityError."""
    params = {"the_order": order_id, "the_amount": amount, "the_user": user_id, "now": now}
    count, saw_no_debit = conn.execute(_charge_statement(), params).one()
    return Charged(count == 1, bool(saw_no_debit))


def entry(conn: Connection, order_id: str, kind: str) -> Entry | None:
    """The order's ledger entry of ``kind`` (one at most: unique (order, kind))."""
    row = conn.execute(select(WalletEntry.user_id, WalletEntry.amount)
                       .where(WalletEntry.order_id == order_id, WalletEntry.kind == kind)).first()
    return Entry(*row) if row else None


def refund(conn: Connection, user_id: int, order_id: str, amount: int, now: datetime) -> None:
    """Give ``amount`` back to the wallet with its ledger entry (the caller's one transaction)."""
    conn.execute(update(Wallet).where(Wallet.user_id == user_id).values(balance=Wallet.balance + amount, updated_at=now))
    conn.execute(insert(WalletEntry).values(user_id=user_id, kind="refund", amount=amount, order_id=order_id,
                                            created_at=now))
