"""The order's compare-and-set: a status move only from the expected statuses, as ONE
statement together with the saga event it records (and, for pricing, the items'
prices): a step's decision costs one round trip.

Every status change is ``UPDATE … WHERE status IN (expected)``: the payment clock, the user's
cancel and the start of payment race, and the loser changes nothing.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, case, exists, func, select, update

from db.base import utcnow
from db.emarket import Order, OrderItem
from db.unit_of_work import UnitOfWork
from emarket import order_status as st
from emarket import saga_events

# The conditions a compare-and-set may add, by name (their values are bound parameters).
_WHEN = {
    "not_claimed_for_compensation": lambda: Order.failure_reason.is_(None),
    "claimed_for_compensation": lambda: Order.failure_reason.is_not(None),
    "owned": lambda: Order.user_id == bindparam("b_user_id"),
    "before_deadline": lambda: Order.payment_deadline > bindparam("b_now"),
    "past_deadline": lambda: Order.payment_deadline <= bindparam("b_now"),
}


def _move(target: str, sources: tuple[str, ...], when: tuple[str, ...], columns: tuple[str, ...]):
    assert all(st.can_move(s, target) for s in sources), (sources, target)
    return (update(Order).where(Order.id == bindparam("b_order_id"), Order.status.in_(sources),
                                *(_WHEN[name]() for name in when))
            .values(status=target, updated_at=bindparam("b_now"), **{c: bindparam(f"b_v_{c}") for c in columns}))


def _as_ctes(move):
    """The move as a data-modifying CTE (RETURNING the order's id), its event's
    INSERT as another (recorded only if it moved), and the condition "it moved"."""
    moved = move.returning(Order.id).cte("moved")
    did_move = exists(select(moved.c.id))
    return moved, saga_events.event_insert(only_if=did_move).cte("recorded"), did_move


def _as_one_query(move, event: bool):
    """The move and its event as one query counting the rows it moved. Returns
    the query and the condition "it moved", for more writes to hang on."""
    moved, recorded, did_move = _as_ctes(move)
    query = select(func.count()).select_from(moved)
    return (query.add_cte(recorded) if event else query), did_move


@lru_cache(maxsize=64)
def _cas_statements(target: str, sources: tuple[str, ...], when: tuple[str, ...], columns: tuple[str, ...],
                    event: bool, priced_items: int):
    """The statement of one kind of compare-and-set, built once (bound parameters only):
    building a statement costs more CPU than running it, and SQLAlchemy caches the compiled
    form of a statement it sees again. One statement: the UPDATE … RETURNING, the event's
    INSERT and the items' prices as data-modifying CTEs."""
    query, did_move = _as_one_query(_move(target, sources, when, columns), event)
    if priced_items:  # only the copy that won the compare-and-set writes the prices
        whens = [(OrderItem.product_id == bindparam(f"b_pid{i}"), bindparam(f"b_price{i}")) for i in range(priced_items)]
        price = update(OrderItem).where(OrderItem.order_id == bindparam("b_order_id")).values(price=case(*whens))
        query = query.add_cte(price.where(did_move).cte("priced"))
    return query


def move_ctes(target: str, sources: tuple[str, ...], when: tuple[str, ...] = (), columns: tuple[str, ...] = ()):
    """The compare-and-set as a data-modifying CTE ``moved``, its event's INSERT as
    another, and the condition "it moved", for a step that builds its own statement around
    them (``order.complete`` adds its sale, ``order.start_payment`` its read). ``columns``:
    more columns the move sets, from ``move_with``'s values. Run it with ``move_with``; every
    CTE must be in the statement (``add_cte``), or PostgreSQL never runs it."""
    return _as_ctes(_move(target, tuple(sources), tuple(when), tuple(sorted(columns))))


def _params(order_id: str, event: str | None, detail: str, run: saga_events.StepRun | None,
            user_id: int | None, values: dict) -> dict:
    params = {"b_order_id": order_id, "b_now": utcnow(), "b_user_id": user_id,
              **{f"b_v_{c}": v for c, v in values.items()}}
    if event:
        params.update(saga_events.event_params(order_id, event, detail, run))
    return params


def move_with(uow: UnitOfWork, statement, order_id: str, event: str, detail: str = "",
              run: saga_events.StepRun | None = None, user_id: int | None = None, **values):
    """Run a statement built on ``move_ctes``; its result."""
    return uow.connection().execute(statement, _params(order_id, event, detail, run, user_id, values))


def move(uow: UnitOfWork, order_id: str, target: str, sources: tuple[str, ...], when: tuple[str, ...] = (),
         event: str | None = None, detail: str = "", run: saga_events.StepRun | None = None,
         prices: dict[int, int] | None = None, user_id: int | None = None, **values) -> bool:
    """Move the order to ``target`` only if it is in one of ``sources`` and every ``when``
    condition holds; True if this call did. With ``event``, the move records that saga event;
    with ``prices`` (by product id), it writes the items' unit prices. All of it is ONE
    statement: a step's decision costs one round trip."""
    statement = _cas_statements(target, tuple(sources), tuple(when), tuple(sorted(values)), bool(event),
                                len(prices or ()))
    params = _params(order_id, event, detail, run, user_id, values)
    for i, (product_id, price) in enumerate(sorted((prices or {}).items())):
        params[f"b_pid{i}"], params[f"b_price{i}"] = product_id, price
    return uow.connection().execute(statement, params).scalar_one() == 1
