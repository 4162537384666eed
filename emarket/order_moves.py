"""The order's compare-and-set, as the order's rules ask for it: a status move only along the
state machine (``order_status``), only from the expected statuses, and with the saga event it
records (and, for pricing, the items' prices). ``db.stores.orders`` makes each ONE statement:
a step's decision costs one round trip.

Every status change is ``UPDATE … WHERE status IN (expected)``: the payment clock, the user's
cancel and the start of payment race, and the loser changes nothing.
"""
from __future__ import annotations

from db.base import utcnow
from db.stores import orders as store
from db.unit_of_work import UnitOfWork
from emarket import order_status as st
from emarket import saga_events


def spec(order_id: str, target: str, sources: tuple[str, ...], when: tuple[str, ...] = (), event: str | None = None,
         detail: str = "", run: saga_events.StepRun | None = None, prices: dict[int, int] | None = None,
         user_id: int | None = None, **values: object) -> store.Move:
    """The move ``target`` from ``sources`` while every ``when`` condition holds (names of
    ``db.stores.orders.WHEN``), recording ``event``; only a move the state machine allows."""
    assert all(st.can_move(s, target) for s in sources), (sources, target)
    return store.Move(order_id=order_id, target=target, sources=tuple(sources), now=utcnow(), when=tuple(when),
                      event=saga_events.event(order_id, event, detail, run) if event else None, values=values,
                      prices={int(p): int(v) for p, v in prices.items()} if prices else None, user_id=user_id)


def move(uow: UnitOfWork, order_id: str, target: str, sources: tuple[str, ...], when: tuple[str, ...] = (),
         event: str | None = None, detail: str = "", run: saga_events.StepRun | None = None,
         prices: dict[int, int] | None = None, user_id: int | None = None, **values: object) -> bool:
    """Move the order to ``target`` only if it is in one of ``sources`` and every ``when``
    condition holds; True if this call did. With ``event``, the move records that saga event;
    with ``prices`` (by product id), it writes the items' unit prices. ONE statement."""
    return store.move(uow.connection(), spec(order_id, target, sources, when, event, detail, run, prices, user_id,
                                             **values))
