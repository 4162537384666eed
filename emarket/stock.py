"""Mproduct's steps: check availability (and price), reserve, sell, release.

A multi-item order reserves all its items or none, in ONE local transaction (docs/architecture.md's
"check product availability" + "order booking"). Each reservation is a conditional update
(``reserved + q <= count``), so concurrent orders can never oversell; items are taken in
product-id order so two orders never deadlock on each other's rows.
"""
from __future__ import annotations

from sqlalchemy import select, update

from db.base import utcnow
from db.emarket import ProductAccounting, Reservation
from db.unit_of_work import UnitOfWork
from emarket.errors import InvalidTransition, OutOfStock, TransientError, UnknownProduct


def check(uow: UnitOfWork, items: list[list[int]]) -> dict[str, int]:
    """Every product exists and has the quantity available now; returns unit prices by id."""
    ids = [product_id for product_id, _ in items]
    rows = {r.product_id: r for r in uow.session.scalars(
        select(ProductAccounting).where(ProductAccounting.product_id.in_(ids)))}
    for product_id, quantity in items:
        row = rows.get(product_id)
        if row is None:
            raise UnknownProduct("unknown_product", f"product {product_id}")
        if row.count - row.reserved < quantity:
            raise OutOfStock("out_of_stock", f"product {product_id}: {row.count - row.reserved} available, {quantity} asked")
    return {str(product_id): rows[product_id].price for product_id, _ in items}


def _reservations(uow: UnitOfWork, order_id: str) -> list[Reservation]:
    return list(uow.session.scalars(
        select(Reservation).where(Reservation.order_id == order_id).order_by(Reservation.product_id)))


def reserve(uow: UnitOfWork, order_id: str, items: list[list[int]]) -> None:
    existing = _reservations(uow, order_id)
    if existing:
        if any(r.status == "released" for r in existing):
            raise InvalidTransition("failed", "the reservation was already released")
        return  # my own earlier result
    reserved_here: list[int] = []
    for product_id, quantity in sorted(items):
        taken = uow.session.execute(
            update(ProductAccounting)
            .where(ProductAccounting.product_id == product_id,
                   ProductAccounting.count - ProductAccounting.reserved >= quantity)
            .values(reserved=ProductAccounting.reserved + quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            if _reserved_by_a_twin(uow, order_id, reserved_here):
                # A twin of this step (a duplicate message) reserved for this order while we
                # waited on the row: the shortage is that very reservation. Roll back and
                # retry; the retry finds it and passes it on. Failing here would compensate
                # while the twin's chain goes on to charge and complete.
                raise TransientError("a twin of this step reserved first")
            exists = uow.session.get(ProductAccounting, product_id) is not None
            # Raising rolls back the whole unit of work: the items reserved so far go too.
            if not exists:
                raise UnknownProduct("unknown_product", f"product {product_id}")
            raise OutOfStock("out_of_stock", f"product {product_id}: fewer than {quantity} available")
        uow.session.add(Reservation(order_id=order_id, product_id=product_id, quantity=quantity, status="held"))
        reserved_here.append(product_id)
    uow.session.flush()


def _reserved_by_a_twin(uow: UnitOfWork, order_id: str, mine: list[int]) -> bool:
    """Rows of this order that this transaction did not write (a twin's, committed)."""
    with uow.session.no_autoflush:
        return uow.session.scalar(select(Reservation.id).where(
            Reservation.order_id == order_id, Reservation.product_id.not_in(mine)).limit(1)) is not None


def _settle(uow: UnitOfWork, order_id: str, status: str) -> int:
    """Turn the order's held reservations into ``sold`` or ``released``. Returns the units in
    that status afterwards, so a repeat reports the same figure as the first run."""
    moved = 0
    for reservation in _reservations(uow, order_id):
        if reservation.status == status:
            moved += reservation.quantity
        if reservation.status != "held":
            continue
        # Compare-and-set on the reservation: a twin of this step running at the same time (a
        # duplicate message) read it as held too; only one of them may move the stock.
        won = uow.session.execute(
            update(Reservation).where(Reservation.id == reservation.id, Reservation.status == "held")
            .values(status=status, updated_at=utcnow()).execution_options(synchronize_session=False)).rowcount
        if not won:
            now = uow.session.scalar(select(Reservation.status).where(Reservation.id == reservation.id))
            moved += reservation.quantity if now == status else 0
            continue
        changes = {"reserved": ProductAccounting.reserved - reservation.quantity}
        if status == "sold":
            changes["count"] = ProductAccounting.count - reservation.quantity
        uow.session.execute(update(ProductAccounting)
                            .where(ProductAccounting.product_id == reservation.product_id)
                            .values(**changes).execution_options(synchronize_session=False))
        moved += reservation.quantity
    uow.session.flush()
    return moved


def sell(uow: UnitOfWork, order_id: str) -> int:
    """The paid order's reservation becomes a sale: the units leave the shelf."""
    return _settle(uow, order_id, "sold")


def release(uow: UnitOfWork, order_id: str) -> int:
    """Compensation: the units go back on sale. Returns how many (0 if none were reserved)."""
    return _settle(uow, order_id, "released")
