"""Mmoney's steps: charge an order (check + freeze + debit, ONE local transaction) and refund.

The ledger's unique (order_id, kind) makes a second debit or refund for one order impossible
at the database level; the code's own checks make a repeat find its earlier result.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import BigInteger, String, bindparam, exists, func, insert, literal, select, update

from db.account import Wallet, WalletEntry, WalletHold
from db.base import UTCDateTime, utcnow
from db.unit_of_work import UnitOfWork
from emarket.errors import InsufficientFunds, InvalidTransition, TransientError


def _entry(uow: UnitOfWork, order_id: str, kind: str) -> WalletEntry | None:
    return uow.session.scalar(select(WalletEntry).where(WalletEntry.order_id == order_id, WalletEntry.kind == kind))


def charge(uow: UnitOfWork, user_id: int, order_id: str, amount: int) -> None:
    """Check, freeze and debit ``amount`` for the order, all or nothing.

    The three are one conditional UPDATE (``balance >= amount``: the check; ``balance -
    amount``: the freeze and the debit at once, since they share this transaction and nothing
    outside it could ever see the money frozen), the hold row recording it as ``debited``, and
    the ledger's debit entry."""
    if amount <= 0:
        raise InvalidTransition("failed", f"nothing to charge ({amount})")
    charged, saw_no_debit = _charge_at_once(uow, user_id, order_id, amount)
    if charged:
        return
    if _entry(uow, order_id, "debit") is not None:
        if saw_no_debit:
            # A twin of this step (a duplicate message) charged this order while we waited on
            # the wallet row: the money missing is that very debit. Retry, and the retry passes
            # it on; failing here would refund it while the twin's chain completes the order.
            raise TransientError("a twin of this step charged first")
        if _entry(uow, order_id, "refund") is not None:
            raise InvalidTransition("failed", "the order was already refunded")
        return  # my own earlier result
    # The one statement found no wallet or not enough in it, and there is no debit: the
    # shortage stands as it read it. Nothing here writes, so the step may run with each
    # statement committing alone (tasks.wallet.charge).
    raise InsufficientFunds("insufficient_funds", f"{amount} needed")


@lru_cache(maxsize=1)
def _charge_statement():
    """Built once (bound parameters): see ``_charge_at_once``."""
    order_id, amount = bindparam("b_order_id", type_=String), bindparam("b_amount", type_=BigInteger)
    now = bindparam("b_now", type_=UTCDateTime)
    not_charged = ~exists(select(WalletEntry.id).where(WalletEntry.order_id == order_id, WalletEntry.kind == "debit"))
    moved = (update(Wallet).where(Wallet.user_id == bindparam("b_user_id"), Wallet.balance >= amount, not_charged)
             .values(balance=Wallet.balance - amount, updated_at=now).returning(Wallet.user_id).cte("moved"))
    held = insert(WalletHold).from_select(
        ["user_id", "order_id", "amount", "status", "created_at", "updated_at"],
        select(moved.c.user_id, order_id, amount, literal("debited", String), now, now)).cte("held")
    entry = insert(WalletEntry).from_select(
        ["user_id", "kind", "amount", "order_id", "created_at"],
        select(moved.c.user_id, literal("debit", String), -amount, order_id, now)).cte("entry")
    return select(select(func.count()).select_from(moved).scalar_subquery(), not_charged).add_cte(held).add_cte(entry)


def _charge_at_once(uow: UnitOfWork, user_id: int, order_id: str, amount: int) -> tuple[bool, bool]:
    """The charge as ONE statement — the conditional debit (only if no debit of
    this order exists yet) and its hold and ledger rows as data-modifying CTEs. Returns (it
    charged, the statement's snapshot saw no debit of the order); when it did not charge,
    nothing was written and the slow path tells an earlier debit, a twin's and a shortage
    apart. A twin whose debit commits after ours was read trips the ledger's unique (order,
    kind): an IntegrityError that the step retries."""
    params = {"b_order_id": order_id, "b_amount": amount, "b_user_id": user_id, "b_now": utcnow()}
    count, saw_no_debit = uow.connection().execute(_charge_statement(), params).one()
    return count == 1, bool(saw_no_debit)


def refund(uow: UnitOfWork, order_id: str) -> int:
    """Compensation: give back what the order was charged. Returns the amount refunded, now
    or by an earlier run (0 if the order was never charged)."""
    debit = _entry(uow, order_id, "debit")
    if debit is None:
        return 0
    earlier = _entry(uow, order_id, "refund")
    if earlier is not None:
        return earlier.amount
    amount = -debit.amount
    uow.session.execute(
        update(Wallet).where(Wallet.user_id == debit.user_id)
        .values(balance=Wallet.balance + amount, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    uow.session.add(WalletEntry(user_id=debit.user_id, kind="refund", amount=amount, order_id=order_id))
    uow.session.flush()
    return amount
