"""A logged-in shopper's saved cart: product id → quantity, in the order the lines were added.

The shop's pages keep the working copy of a cart in the visitor's session cookie; a logged-in
shopper's is also saved here, so it waits for them at their next login, in any browser, and the
anonymous cart they filled before logging in is merged into it (web/shop/cart.py, ``adopt``).
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select

from db.base import utcnow
from db.emarket import SavedCartLine
from db.unit_of_work import UnitOfWork


def load(uow: UnitOfWork, user_id: int) -> dict[int, int]:
    rows = uow.session.execute(select(SavedCartLine.product_id, SavedCartLine.quantity)
                               .where(SavedCartLine.user_id == user_id).order_by(SavedCartLine.position))
    return {product_id: quantity for product_id, quantity in rows}  # noqa: C416 — Rows, not pairs: dict() cannot take them


def replace(uow: UnitOfWork, user_id: int, cart: dict[int, int]) -> None:
    """The saved cart becomes ``cart`` (empty: no lines), in the caller's transaction."""
    uow.session.execute(delete(SavedCartLine).where(SavedCartLine.user_id == user_id))
    if cart:
        now = utcnow()
        uow.session.execute(insert(SavedCartLine), [
            {"user_id": user_id, "product_id": pid, "quantity": qty, "position": n, "updated_at": now}
            for n, (pid, qty) in enumerate(cart.items())])
