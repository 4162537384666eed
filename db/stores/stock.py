"""Mproduct's SQL: the stock check, the all-or-nothing reservation and the settling of an
order's reservations, each ONE statement of typed parameters. An order's items travel as two
arrays (``product_ids``, ``quantities``), so one statement serves every number of items."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    BigInteger,
    BindParameter,
    ColumnElement,
    Connection,
    Executable,
    Integer,
    SQLColumnExpression,
    String,
    any_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import Grouping

from db.base import UTCDateTime
from db.emarket import ProductAccounting, Reservation
from db.stores import events
from db.stores.events import ORDER_ID, Event

NOW = bindparam("now", type_=UTCDateTime)
PRODUCT_IDS = bindparam("product_ids", type_=ARRAY(BigInteger))
QUANTITIES = bindparam("quantities", type_=ARRAY(Integer))


class StockRow(NamedTuple):
    product_id: int
    count: int  # type: ignore[assignment]  # the column's name; nobody calls tuple.count on a row
    reserved: int
    price: int


class Reserved(NamedTuple):
    """What the reservation's statement saw and did: whether its snapshot held no reservation
    of the order, the products it took, and the products that had enough (locked)."""
    saw_none: bool
    taken: list[int]
    available: list[int]


def _items(items: Sequence[tuple[int, int]]) -> dict[str, list[int]]:
    return {"product_ids": [int(p) for p, _ in items], "quantities": [int(q) for _, q in items]}


def at_place_of(values: BindParameter[Any], ids: BindParameter[Any],
                key: SQLColumnExpression[Any]) -> ColumnElement[int]:
    """``values[i]`` where ``ids[i] = key``: two parallel array parameters read as a map (the
    parentheses keep PostgreSQL from reading ``:p::INTEGER[][i]`` as a two-dimensional cast)."""
    return type_coerce(Grouping(values), values.type)[func.array_position(ids, key)]


def _wanted(product_id: SQLColumnExpression[Any]) -> ColumnElement[int]:
    """The quantity wanted of ``product_id``."""
    return at_place_of(QUANTITIES, PRODUCT_IDS, product_id)


@lru_cache(maxsize=2)
def _check_statement(with_event: bool) -> Executable:
    query = select(ProductAccounting.product_id, ProductAccounting.count, ProductAccounting.reserved,
                   ProductAccounting.price).where(ProductAccounting.product_id == any_(PRODUCT_IDS))
    if not with_event:
        return query
    available = select(func.count()).where(
        ProductAccounting.product_id == any_(PRODUCT_IDS),
        ProductAccounting.count - ProductAccounting.reserved >= _wanted(ProductAccounting.product_id),
    ).scalar_subquery() == func.cardinality(PRODUCT_IDS)
    return query.add_cte(events.insert_cte(only_if=available).cte("recorded"))


def check(conn: Connection, items: Sequence[tuple[int, int]], event: Event | None) -> dict[int, StockRow]:
    """The stock of the items' products, by id. With ``event``, the same statement records it
    only if every item is available in the very rows it returns (one snapshot): a shortage
    writes nothing, so the statement may commit on its own."""
    params = {**_items(items), **(events.params(event) if event else {})}
    return {row.product_id: StockRow(*row) for row in conn.execute(_check_statement(event is not None), params)}


@lru_cache(maxsize=2)
def _reserve_statement(with_event: bool) -> Executable:
    none_yet = ~exists(select(Reservation.id).where(Reservation.order_id == ORDER_ID))
    # The rows are locked in product-id order first, so two orders never deadlock on each
    # other's rows. A row whose lock was waited for comes back as its latest committed version
    # (READ COMMITTED re-reads it), so ``locked`` holds the stock as it is now, under our lock.
    locked = (select(ProductAccounting.product_id, ProductAccounting.count, ProductAccounting.reserved)
              .where(ProductAccounting.product_id == any_(PRODUCT_IDS))
              .order_by(ProductAccounting.product_id).with_for_update().cte("locked"))
    # All or nothing: every item exists and is available in the locked rows, else no row moves.
    enough = locked.c.count - locked.c.reserved >= _wanted(locked.c.product_id)
    all_there = select(func.count()).select_from(locked).where(enough).scalar_subquery() == func.cardinality(PRODUCT_IDS)
    available = select(func.array_agg(locked.c.product_id)).where(enough).scalar_subquery()
    quantity = _wanted(ProductAccounting.product_id)
    taken = (update(ProductAccounting)
             .where(ProductAccounting.product_id.in_(select(locked.c.product_id)), all_there, none_yet)
             .values(reserved=ProductAccounting.reserved + quantity)
             .returning(ProductAccounting.product_id, quantity.label("quantity")).cte("taken"))
    held = insert(Reservation).from_select(
        ["order_id", "product_id", "quantity", "status", "created_at", "updated_at"],
        select(ORDER_ID, taken.c.product_id, taken.c.quantity, literal("held", String), NOW, NOW)).cte("held")
    query = select(none_yet, func.array_remove(func.array_agg(taken.c.product_id), None), available).add_cte(held)
    if with_event:
        all_taken = select(func.count()).select_from(taken).scalar_subquery() == func.cardinality(PRODUCT_IDS)
        query = query.add_cte(events.insert_cte(only_if=all_taken).cte("recorded"))
    return query


def reserve(conn: Connection, order_id: str, items: Sequence[tuple[int, int]], now: datetime,
            event: Event | None) -> Reserved:
    """Every item of the order, or none, in ONE statement: the rows locked, every line checked
    against them, then the stock updates, the reservation rows and the event (recorded only
    if every item was taken) as data-modifying CTEs. It writes nothing unless it reserves
    everything, and nothing if the order had a reservation already."""
    params = {"the_order": order_id, "now": now, **_items(items), **(events.params(event) if event else {})}
    saw_none, taken, available = conn.execute(_reserve_statement(event is not None), params).one()
    return Reserved(bool(saw_none), list(taken or ()), list(available or ()))


def any_reserved(conn: Connection, order_id: str) -> bool:
    """A reservation of the order exists (committed, as this statement sees it)."""
    return conn.scalar(select(Reservation.id).where(Reservation.order_id == order_id).limit(1)) is not None


def statuses(conn: Connection, order_id: str) -> list[str]:
    return list(conn.scalars(select(Reservation.status).where(Reservation.order_id == order_id)))


def product_exists(conn: Connection, product_id: int) -> bool:
    return conn.scalar(select(ProductAccounting.product_id).where(ProductAccounting.product_id == product_id)) is not None


def settle_ctes(status: str, only_if: ColumnElement[bool] | None = None) -> tuple[CTE, CTE]:
    """The data-modifying CTEs that settle an order's held reservations as ``status``: the
    reservations' compare-and-set (``status = 'held'``) and the stock they free, the product
    rows locked in product-id order first. With ``only_if``, the reservations move only if that
    condition holds too (how ``orders.complete_and_sell`` sells in the statement of its own
    compare-and-set). Returns (settled, stock)."""
    settle = (update(Reservation).where(Reservation.order_id == ORDER_ID, Reservation.status == "held")
              .values(status=status, updated_at=NOW))
    if only_if is not None:
        settle = settle.where(only_if)
    settled = settle.returning(Reservation.product_id, Reservation.quantity).cte("settled")
    of_order = select(Reservation.product_id).where(Reservation.order_id == ORDER_ID)
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
def _settle_statement(status: str) -> Executable:
    settled, stock = settle_ctes(status)
    return select(func.coalesce(func.sum(settled.c.quantity), 0)).add_cte(stock)


def settle(conn: Connection, order_id: str, status: str, now: datetime) -> int:
    """The order's held reservations become ``status`` (``sold`` or ``released``) with the stock
    they free, ONE statement; the units it moved. A twin that waited on the rows moves nothing."""
    return int(conn.execute(_settle_statement(status), {"the_order": order_id, "now": now}).scalar_one())


def units_in(conn: Connection, order_id: str, status: str) -> int:
    """The order's units whose reservation is in ``status`` (a fresh statement sees a twin's commit)."""
    return int(conn.execute(select(func.coalesce(func.sum(Reservation.quantity), 0))
                            .where(Reservation.order_id == order_id, Reservation.status == status)).scalar_one())
