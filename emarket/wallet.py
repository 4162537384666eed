"""Mmoney's steps: charge an order (check + freeze + debit, ONE local transaction) and refund.

The ledger's unique (order_id, kind) makes a second debit or refund for one order impossible
at the database level; the code's own checks make a repeat find its earlier result. The
statements are ``db.stores.wallet``'s.
"""
from __future__ import annotations

from db.base import utcnow
from db.stores import wallet as store
from db.unit_of_work import UnitOfWork
from emarket.errors import InsufficientFunds, InvalidTransition, TransientError


def charge(uow: UnitOfWork, user_id: int, order_id: str, amount: int) -> None:
    """Check, freeze and debit ``amount`` for the order, all or nothing.

    The three are one conditional UPDATE (``balance >= amount``: the check; ``balance -
    amount``: the freeze and the debit at once, since they share this statement and nothing
    outside it could ever see the money frozen), the hold row recording it as ``debited``, and
    the ledger's debit entry: ONE statement."""
    if amount <= 0:
        raise InvalidTransition("failed", f"nothing to charge ({amount})")
    conn = uow.connection()
    charged, saw_no_debit = store.charge(conn, user_id, order_id, amount, utcnow())
    if charged:
        return
    if store.entry(conn, order_id, "debit") is not None:
        if saw_no_debit:
            # A twin of this step (a duplicate message) charged this order while we waited on
            # the wallet row: the money missing is that very debit. Retry, and the retry passes
            # it on; failing here would refund it while the twin's chain completes the order.
            raise TransientError("a twin of this step charged first")
        if store.entry(conn, order_id, "refund") is not None:
            raise InvalidTransition("failed", "the order was already refunded")
        return  # my own earlier result
    # The one statement found no wallet or not enough in it, and there is no debit: the
    # shortage stands as it read it. Nothing here writes, so the step may run with each
    # statement committing alone (tasks.wallet.charge).
    raise InsufficientFunds("insufficient_funds", f"{amount} needed")


def refund(uow: UnitOfWork, order_id: str) -> int:
    """Compensation: give back what the order was charged. Returns the amount refunded, now
    or by an earlier run (0 if the order was never charged)."""
    conn = uow.connection()
    debit = store.entry(conn, order_id, "debit")
    if debit is None:
        return 0
    earlier = store.entry(conn, order_id, "refund")
    if earlier is not None:
        return earlier.amount
    store.refund(conn, debit.user_id, order_id, -debit.amount, utcnow())
    return -debit.amount
