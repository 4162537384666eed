"""Mproduct's steps: check availability (and price), reserve, sell, release.

A multi-item order reserves all its items or none, in ONE local transaction (docs/architecture.md's
"check product availability" + "order booking"). Each reservation is a conditional update
(``reserved + q <= count``), so concurrent orders can never oversell; items are taken in
product-id order so two orders never deadlock on each other's rows.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import String, bindparam, case, exists, func, insert, literal, select, update

from db.base import UTCDateTime, utcnow
from db.emarket import ProductAccounting, Reservation
from db.unit_of_work import UnitOfWork
from emarket import saga_events
from emarket.errors import InvalidTransition, OutOfStock, TransientError, UnknownProduct


def _wanted(column, items: int):
    """The quantity wanted of the product in ``column``: a CASE over the bound pairs
    ``b_pid{i}`` / ``b_qty{i}``."""
    return case(*[(column == bindparam(f"b_pid{i}"), bindparam(f"b_qty{i}")) for i in range(items)])


def _item_params(wanted) -> dict:
    params = {}
    for i, (product_id, quantity) in enumerate(wanted):
        params[f"b_pid{i}"], params[f"b_qty{i}"] = int(product_id), int(quantity)
    return params


@lru_cache(maxsize=16)
def _check_statement(items: int, with_event: bool):
    """Built once per item count (bound parameters): the stock read, with the event's INSERT as
    a CTE that inserts only if every item is available in the very rows the read returns (one
    snapshot), so a shortage writes nothing and the statement can commit on its own."""
    ids = [bindparam(f"b_pid{i}") for i in range(items)]
    query = select(ProductAccounting.product_id, ProductAccounting.count, ProductAccounting.reserved,
                   ProductAccounting.price).where(ProductAccounting.product_id.in_(ids))
    if not with_event:
        return query
    available = select(func.count()).where(
        ProductAccounting.product_id.in_(ids),
        ProductAccounting.count - ProductAccounting.reserved >= _wanted(ProductAccounting.product_id, items),
    ).scalar_subquery() == items
    return query.add_cte(saga_events.event_insert(only_if=available).cte("recorded"))


def check(uow: UnitOfWork, items: list[list[int]], event: tuple[str, str] | None = None) -> dict[str, int]:
    """Every product exists and has the quantity available now; returns unit prices by id.

    ``event`` (order id, event name) is recorded in the same statement as the read (a
    data-modifying CTE), and only if every item is available: a failed check writes nothing,
    so the step is one round trip, also with each statement committing alone."""
    params = _item_params(items)
    if event is not None:
        params.update(saga_events.event_params(*event))
    rows = {r.product_id: r for r in uow.connection().execute(
        _check_statement(len(items), event is not None), params)}
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


def reserve(uow: UnitOfWork, order_id: str, items: list[list[int]], event: str | None = None) -> None:
    """Reserve every item of the order, or none; with ``event``, record it once reserved."""
    wanted = sorted((int(p), int(q)) for p, q in items)
    if wanted and _reserve_at_once(uow, order_id, wanted, event):
        return
    # The order had its reservation already (or has no items): my own earlier result.
    if any(r.status == "released" for r in _reservations(uow, order_id)):
        raise InvalidTransition("failed", "the reservation was already released")
    if event:
        saga_events.record(uow, order_id, event)


@lru_cache(maxsize=16)
def _reserve_statement(items: int, with_event: bool):
    """Built once per item count (bound parameters): see ``_reserve_at_once``."""
    ids = [bindparam(f"b_pid{i}") for i in range(items)]
    none_yet = ~exists(select(Reservation.id).where(Reservation.order_id == bindparam("b_order_id")))
    # The rows are locked in product-id order first, so two orders never deadlock on each other's rows. A row whose lock was waited for comes back
    # as its latest committed version (READ COMMITTED re-reads it), so ``locked`` holds the
    # stock as it is now, under our lock.
    locked = (select(ProductAccounting.product_id, ProductAccounting.count, ProductAccounting.reserved)
              .where(ProductAccounting.product_id.in_(ids))
              .order_by(ProductAccounting.product_id).with_for_update().cte("locked"))
    # All or nothing: every item exists and is available in the locked rows, else no row moves.
    enough = locked.c.count - locked.c.reserved >= _wanted(locked.c.product_id, items)
    all_there = select(func.count()).select_from(locked).where(enough).scalar_subquery() == items
    available = select(func.array_agg(locked.c.product_id)).where(enough).scalar_subquery()
    quantity = _wanted(ProductAccounting.product_id, items)
    taken = (update(ProductAccounting)
             .where(ProductAccounting.product_id.in_(select(locked.c.product_id)), all_there, none_yet)
             .values(reserved=ProductAccounting.reserved + quantity)
             .returning(ProductAccounting.product_id, quantity.label("quantity")).cte("taken"))
    now = bindparam("b_now", type_=UTCDateTime)
    held = insert(Reservation).from_select(
        ["order_id", "product_id", "quantity", "status", "created_at", "updated_at"],
        select(bindparam("b_order_id", type_=String), taken.c.product_id, taken.c.quantity,
               literal("held", String), now, now)).cte("held")
    # One row: whether this statement's snapshot saw no reservation of the order, what it took,
    # and which products had enough (to name the one that did not).
    query = select(none_yet, func.array_remove(func.array_agg(taken.c.product_id), None),
                   available).add_cte(held)
    if with_event:
        all_taken = select(func.count()).select_from(taken).scalar_subquery() == items
        query = query.add_cte(saga_events.event_insert(only_if=all_taken).cte("recorded"))
    return query


def _reserve_at_once(uow: UnitOfWork, order_id: str, wanted: list[tuple[int, int]], event: str | None) -> bool:
    """All items of the order in ONE statement that takes every item or none — the
    rows locked, every line checked against them, then the stock updates, the reservation rows
    and the event as data-modifying CTEs. It writes nothing unless it reserves everything, so
    it may commit on its own. True if every item was taken; else it raises for the item that
    was short, or (the order had its reservation already) leaves it to the caller to pass that
    earlier result on."""
    params = {"b_order_id": order_id, "b_now": utcnow(), **_item_params(wanted),
              **(saga_events.event_params(order_id, event) if event else {})}
    saw_none, mine, available = uow.connection().execute(_reserve_statement(len(wanted), bool(event)), params).one()
    if len(mine or ()) == len(wanted):
        return True
    if saw_none:
        # Nothing taken: a real shortage, or — if a reservation of this order appeared while
        # we waited on the rows — a twin's (``_refuse`` tells them apart and raises).
        product_id, quantity = next(((p, q) for p, q in wanted if p not in (available or ())), wanted[0])
        _refuse(uow, order_id, product_id, quantity)
    return False  # nothing written: the order had its reservation already (the caller checks it)


def _refuse(uow: UnitOfWork, order_id: str, product_id: int, quantity: int) -> None:
    if _reserved_by_a_twin(uow, order_id):
        # A twin of this step (a duplicate message) reserved for this order while we
        # waited on the row: the shortage is that very reservation. Roll back and
        # retry; the retry finds it and passes it on. Failing here would compensate
        # while the twin's chain goes on to charge and complete.
        raise TransientError("a twin of this step reserved first")
    exists_ = uow.session.get(ProductAccounting, product_id) is not None
    if not exists_:
        raise UnknownProduct("unknown_product", f"product {product_id}")
    raise OutOfStock("out_of_stock", f"product {product_id}: fewer than {quantity} available")


def _reserved_by_a_twin(uow: UnitOfWork, order_id: str) -> bool:
    """A reservation of this order that this statement did not write (it wrote none): a twin's, committed."""
    return uow.session.scalar(select(Reservation.id).where(Reservation.order_id == order_id).limit(1)) is not None


def _settle(uow: UnitOfWork, order_id: str, status: str) -> int:
    """Turn the order's held reservations into ``sold`` or ``released``, as ONE statement. The
    reservations' compare-and-set (``status = 'held'``) and the stock they free are
    data-modifying CTEs, so a twin of this step that waited on the rows moves nothing twice.
    The product rows are locked in product-id order first, so two orders settling together
    never deadlock. Returns the units in that status afterwards, so a repeat reports the same
    figure as the first run."""
    moved = int(uow.connection().execute(_settle_statement(status), {"b_order_id": order_id, "b_now": utcnow()})
                .scalar_one())
    if moved:
        return moved  # an order's reservations settle together: none was in ``status`` before
    # Nothing held any more: a repeat, or a twin that settled first (a fresh statement sees
    # its commit) — report the units in that status, as the first run did.
    return int(uow.session.execute(select(func.coalesce(func.sum(Reservation.quantity), 0))
                                   .where(Reservation.order_id == order_id, Reservation.status == status)).scalar_one())


def settle_ctes(status: str, only_if=None):
    """The data-modifying CTEs that settle an order's held reservations as ``status`` (see
    ``_settle``): the reservations' compare-and-set and the stock they free. With
    ``only_if``, the reservations move only if that condition holds too: how ``order.complete``
    sells in the statement of its own compare-and-set. Returns (settled, stock)."""
    order_id = bindparam("b_order_id", type_=String)
    settle = (update(Reservation).where(Reservation.order_id == order_id, Reservation.status == "held")
              .values(status=status, updated_at=bindparam("b_now", type_=UTCDateTime)))
    if only_if is not None:
        settle = settle.where(only_if)
    settled = settle.returning(Reservation.product_id, Reservation.quantity).cte("settled")
    of_order = select(Reservation.product_id).where(Reservation.order_id == order_id)
    locked = (select(ProductAccounting.product_id).where(ProductAccounting.product_id.in_(of_order))
              .order_by(ProductAccounting.product_id).with_for_update().cte("locked"))
    changes = {"reserved": ProductAccounting.reserved - settled.c.quantity}
    if status == "sold":
        changes["count"] = ProductAccounting.count - settled.c.quantity
    stock = (update(ProductAccounting)
             .where(ProductAccounting.product_id == settled.c.product_id,
                    ProductAccounting.product_id.in_(select(locked.c.product_id)))
             .values(**changes).cte("stock"))
    return settled, stock


@lru_cache(maxsize=2)
def _settle_statement(status: str):
    """Built once per target status (bound parameters): see ``_settle``."""
    settled, stock = settle_ctes(status)
    return select(func.coalesce(func.sum(settled.c.quantity), 0)).add_cte(stock)


def sell(uow: UnitOfWork, order_id: str) -> int:
    """The paid order's reservation becomes a sale: the units leave the shelf."""
    return _settle(uow, order_id, "sold")


def release(uow: UnitOfWork, order_id: str) -> int:
    """Compensation: the units go back on sale. Returns how many (0 if none were reserved)."""
    return _settle(uow, order_id, "released")
