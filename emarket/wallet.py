"""Mmoney's steps: charge an order (check + freeze + debit, ONE local transaction) and refund.

The ledger's unique (order_id, kind) makes a second debit or refund for one order impossible
at the database level; the code's own checks make a repeat find its earlier result.
"""
from __future__ import annotations

from sqlalchemy import select, update

from db.account import Wallet, WalletEntry, WalletHold
from db.base import utcnow
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
    if _entry(uow, order_id, "debit") is not None:
        if _entry(uow, order_id, "refund") is not None:
            raise InvalidTransition("failed", "the order was already refunded")
        return  # my own earlier result
    if amount <= 0:
        raise InvalidTransition("failed", f"nothing to charge ({amount})")
    moved = uow.session.execute(
        update(Wallet).where(Wallet.user_id == user_id, Wallet.balance >= amount)
        .values(balance=Wallet.balance - amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not moved:  # no wallet, or not enough in it
        if _entry(uow, order_id, "debit") is not None:
            # A twin of this step (a duplicate message) charged this order while we waited on
            # the wallet row: the money missing is that very debit. Retry, and the retry passes
            # it on; failing here would refund it while the twin's chain completes the order.
            raise TransientError("a twin of this step charged first")
        raise InsufficientFunds("insufficient_funds", f"{amount} needed")
    uow.session.add(WalletHold(user_id=user_id, order_id=order_id, amount=amount, status="debited"))
    uow.session.add(WalletEntry(user_id=user_id, kind="debit", amount=-amount, order_id=order_id))
    uow.session.flush()


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
