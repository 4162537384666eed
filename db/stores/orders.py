"""Morder's SQL: the order's compare-and-set as ONE statement with the saga event it records
(``move``), and the steps built around it — the completion that sells in the same statement
(``complete_and_sell``), the start of payment that reads the payment in it
(``start_payment``) — and the compensation's claim (``claim``).

A move is ``UPDATE … WHERE status IN (sources) AND <conditions>``, RETURNING the id as a
data-modifying CTE; its event and its other writes are CTEs that happen only if it moved. The
conditions are named (``WHEN``); which move a step makes is the business module's decision."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Connection,
    Executable,
    Exists,
    Update,
    any_,
    bindparam,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from db.base import UTCDateTime
from db.emarket import Order, OrderItem
from db.stores import events, stock
from db.stores.events import ORDER_ID, Event

NOW = bindparam("now", type_=UTCDateTime)

# The conditions a compare-and-set may add, by name.
WHEN: dict[str, Callable[[], ColumnElement[bool]]] = {
    "not_claimed_for_compensation": lambda: Order.failure_reason.is_(None),
    "claimed_for_compensation": lambda: Order.failure_reason.is_not(None),
    "owned": lambda: Order.user_id == bindparam("the_user", type_=BigInteger),
    "before_deadline": lambda: Order.payment_deadline > NOW,
    "past_deadline": lambda: Order.payment_deadline <= NOW,
}


# What a move's statement depends on: target, sources, conditions, columns set, with an event.
Shape = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]


@dataclass(frozen=True)
class Move:
    """One compare-and-set: move ``order_id`` to ``target`` only from ``sources`` and while every
    ``when`` condition holds, setting ``values`` too; with ``event``, record it if it moved;
    with ``prices`` (unit price by product id), price the items if it moved."""

    order_id: str
    target: str
    sources: tuple[str, ...]
    now: datetime
    when: tuple[str, ...] = ()
    event: Event | None = None
    values: Mapping[str, object] = field(default_factory=dict)
    prices: Mapping[int, int] | None = None
    user_id: int | None = None

    def shape(self) -> Shape:
        """What the statement depends on (the rest are its bound values)."""
        return self.target, tuple(self.sources), tuple(self.when), tuple(sorted(self.values)), self.event is not None


def _update(target: str, sources: tuple[str, ...], when: tuple[str, ...], columns: tuple[str, ...]) -> Update:
    return (update(Order).where(Order.id == ORDER_ID, Order.status.in_(sources), *(WHEN[name]() for name in when))
            .values(status=target, updated_at=NOW, **{c: bindparam(f"set_{c}") for c in columns}))


def _ctes(target: str, sources: tuple[str, ...], when: tuple[str, ...],
          columns: tuple[str, ...]) -> tuple[CTE, CTE, Exists]:
    """The move as a CTE ``moved``, its event's INSERT as another (only if it moved), and the
    condition "it moved", for more writes to hang on. Every CTE must be in the statement
    (``add_cte``), or PostgreSQL never runs it."""
    moved = _update(target, sources, when, columns).returning(Order.id).cte("moved")
    did_move = exists(select(moved.c.id))
    return moved, events.insert_cte(only_if=did_move).cte("recorded"), did_move


def _params(move: Move) -> dict[str, Any]:
    params = {"the_order": move.order_id, "now": move.now, "the_user": move.user_id,
              **{f"set_{c}": v for c, v in move.values.items()}}
    if move.event is not None:
        params.update(events.params(move.event))
    if move.prices:
        ids = sorted(move.prices)
        params.update(price_ids=ids, prices=[move.prices[p] for p in ids])
    return params


@lru_cache(maxsize=64)
def _move_statement(target: str, sources: tuple[str, ...], when: tuple[str, ...], columns: tuple[str, ...],
                    event: bool, priced: bool) -> Executable:
    moved, recorded, did_move = _ctes(target, sources, when, columns)
    query = select(func.count()).select_from(moved)
    if event:
        query = query.add_cte(recorded)
    if priced:  # only the copy that won the compare-and-set writes the prices
        ids, prices = bindparam("price_ids", type_=ARRAY(BigInteger)), bindparam("prices", type_=ARRAY(BigInteger))
        price = (update(OrderItem).where(OrderItem.order_id == ORDER_ID, OrderItem.product_id == any_(ids), did_move)
                 .values(price=stock.at_place_of(prices, ids, OrderItem.product_id)))
        query = query.add_cte(price.cte("priced"))
    return query


def move(conn: Connection, move: Move) -> bool:
    """The compare-and-set, its event and its prices: ONE statement. True if it moved."""
    statement = _move_statement(*move.shape(), bool(move.prices))
    return bool(conn.execute(statement, _params(move)).scalar_one() == 1)


@lru_cache(maxsize=4)
def _complete_statement(target: str, sources: tuple[str, ...], when: tuple[str, ...], columns: tuple[str, ...],
                        event: bool) -> Executable:
    moved, recorded, did_move = _ctes(target, sources, when, columns)
    _settled, sold = stock.settle_ctes("sold", only_if=did_move)
    return select(func.count()).select_from(moved).add_cte(recorded, sold)


def complete_and_sell(conn: Connection, move: Move) -> bool:
    """The completion's compare-and-set, its event, and the sale of the order's reservations
    only if it moved: ONE statement. True if it moved."""
    return bool(conn.execute(_complete_statement(*move.shape()), _params(move)).scalar_one() == 1)


class PaymentRow(NamedTuple):
    """A row of the payment's read: the order's columns, repeated for each of its items."""
    user_id: int
    total: int | None
    correlation_id: str | None
    payment_request_id: str | None
    product_id: int | None
    quantity: int | None
    won: bool = False


_PAYMENT_READ = select(Order.user_id, Order.total, Order.correlation_id, Order.payment_request_id,
                       OrderItem.product_id, OrderItem.quantity) \
    .select_from(Order).outerjoin(OrderItem, OrderItem.order_id == Order.id) \
    .where(Order.id == ORDER_ID).order_by(OrderItem.product_id)


def payment_read(conn: Connection, order_id: str) -> list[PaymentRow]:
    """The order and its items in one round trip."""
    return [PaymentRow(*row) for row in conn.execute(_PAYMENT_READ, {"the_order": order_id})]


@lru_cache(maxsize=4)
def _start_statement(target: str, sources: tuple[str, ...], when: tuple[str, ...], columns: tuple[str, ...],
                     event: bool) -> Executable:
    moved, recorded, _did_move = _ctes(target, sources, when, columns)
    won = select(func.count()).select_from(moved).scalar_subquery().label("won")
    return _PAYMENT_READ.add_columns(won).add_cte(recorded)


def start_payment(conn: Connection, move: Move) -> list[PaymentRow]:
    """The start of payment's compare-and-set with its event AND the payment's read: ONE
    statement. The read sees the order as it was before the statement (a data-modifying CTE's
    writes are invisible to the rest of its statement): its columns are the ones the move does
    not change, but for the request id, which ``won`` says this very statement set."""
    return [PaymentRow(row[0], row[1], row[2], row[3], row[4], row[5], won=bool(row[6])) for row in conn.execute(_start_statement(*move.shape()),
                                                                          _params(move))]


def claim(conn: Connection, order_id: str, running: tuple[str, ...], reason: str, now: datetime) -> bool:
    """Claim an order still running in ``running`` for compensation, with ``reason``; True if it did."""
    return conn.execute(update(Order).where(Order.id == order_id, Order.status.in_(running),
                                            Order.failure_reason.is_(None))
                        .values(failure_reason=reason, updated_at=now)).rowcount == 1
