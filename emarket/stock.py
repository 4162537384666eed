"""Mproduct's steps: check availability (and price), reserve, sell, release.

A multi-item order reserves all its items or none, in ONE local transaction (docs/architecture.md's
"check product availability" + "order booking"). Each reservation is a conditional update
(``reserved + q <= count``), so concurrent orders can never oversell; items are taken in
product-id order so two orders never deadlock on each other's rows. The statements are
``db.stores.stock``'s; what each outcome means is decided here.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from db.base import utcnow
from db.stores import stock as store
from db.unit_of_work import UnitOfWork
from emarket import saga_events
from emarket.errors import InvalidTransition, OutOfStock, TransientError, UnknownProduct


def check(uow: UnitOfWork, items: Iterable[Sequence[int]], event: tuple[str, str] | None = None) -> dict[str, int]:
    """Every product exists and has the quantity available now; returns unit prices by id.

    ``event`` (order id, event name) is recorded in the same statement as the read (a
    data-modifying CTE), and only if every item is available: a failed check writes nothing,
    so the step is one round trip, also with each statement committing alone."""
    wanted = [(int(p), int(q)) for p, q in items]
    rows = store.check(uow.connection(), wanted, saga_events.event(*event) if event else None)
    for product_id, quantity in wanted:
        row = rows.get(product_id)
        if row is None:
            raise UnknownProduct("unknown_product", f"product {product_id}")
        if row.count - row.reserved < quantity:
            raise OutOfStock("out_of_stock", f"product {product_id}: {row.count - row.reserved} available, {quantity} asked")
    return {str(product_id): rows[product_id].price for product_id, _ in wanted}


def reserve(uow: UnitOfWork, order_id: str, items: Iterable[Sequence[int]], event: str | None = None) -> None:
    """Reserve every item of the order, or none; with ``event``, record it once reserved.

    ONE statement takes every item or none and writes nothing otherwise, so it may commit on
    its own. When it took nothing: a real shortage raises for the item that was short; an
    order that had its reservation already is my own earlier result, passed on."""
    wanted = sorted((int(p), int(q)) for p, q in items)
    conn = uow.connection()
    if wanted:
        done = store.reserve(conn, order_id, wanted, utcnow(), saga_events.event(order_id, event) if event else None)
        if len(done.taken) == len(wanted):
            return
        if done.saw_none:
            # Nothing taken: a real shortage, or — if a reservation of this order appeared while
            # we waited on the rows — a twin's (``_refuse`` tells them apart and raises).
            product_id, quantity = next(((p, q) for p, q in wanted if p not in done.available), wanted[0])
            _refuse(uow, order_id, product_id, quantity)
    # The order had its reservation already (or has no items): my own earlier result.
    if "released" in store.statuses(conn, order_id):
        raise InvalidTransition("failed", "the reservation was already released")
    if event:
        saga_events.record(uow, order_id, event)


def _refuse(uow: UnitOfWork, order_id: str, product_id: int, quantity: int) -> None:
    conn = uow.connection()
    if store.any_reserved(conn, order_id):
        # A twin of this step (a duplicate message) reserved for this order while we
        # waited on the row: the shortage is that very reservation. Roll back and
        # retry; the retry finds it and passes it on. Failing here would compensate
        # while the twin's chain goes on to charge and complete.
        raise TransientError("a twin of this step reserved first")
    if not store.product_exists(conn, product_id):
        raise UnknownProduct("unknown_product", f"product {product_id}")
    raise OutOfStock("out_of_stock", f"product {product_id}: fewer than {quantity} available")


def _settle(uow: UnitOfWork, order_id: str, status: str) -> int:
    """Turn the order's held reservations into ``status``. Returns the units in that status
    afterwards, so a repeat reports the same figure as the first run."""
    conn = uow.connection()
    moved = store.settle(conn, order_id, status, utcnow())
    if moved:
        return moved  # an order's reservations settle together: none was in ``status`` before
    # Nothing held any more: a repeat, or a twin that settled first — report the units in that
    # status, as the first run did.
    return store.units_in(conn, order_id, status)


def sell(uow: UnitOfWork, order_id: str) -> int:
    """The paid order's reservation becomes a sale: the units leave the shelf."""
    return _settle(uow, order_id, "sold")


def release(uow: UnitOfWork, order_id: str) -> int:
    """Compensation: the units go back on sale. Returns how many (0 if none were reserved)."""
    return _settle(uow, order_id, "released")
