"""Saga events' SQL: one event's INSERT, alone or riding in another step's statement as a
data-modifying CTE (``insert_cte``) that inserts only if that statement's condition holds.

Its bound parameters are this module's own (``params``); a caller passes an ``Event``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Insert, Integer, String, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from db.base import UTCDateTime
from db.emarket import SagaEvent


@dataclass(frozen=True)
class Event:
    """One saga event to record: the order, its name and detail, the step run that records it
    (task id, worker, attempt, a failure's error) and the time it happens."""

    order_id: str
    name: str
    detail: str
    at: datetime
    task_id: str | None = None
    worker: str | None = None
    attempt: int | None = None
    error: str | None = None


# A parameter of a statement that UPDATEs a table must not share a column's name: SQLAlchemy
# would take its value for one more column to SET. Hence ``the_order``, not ``order_id``.
ORDER_ID = bindparam("the_order", type_=String)


def params(event: Event) -> dict[str, Any]:
    """The bound values of ``insert_cte``'s statement (``the_order`` is shared with the step's own)."""
    return {"the_order": event.order_id, "ev_name": event.name, "ev_detail": event.detail[:500], "ev_now": event.at,
            "ev_task_id": event.task_id, "ev_worker": event.worker and event.worker[:200],
            "ev_attempt": event.attempt, "ev_error": event.error and event.error[:500]}


def insert_cte(only_if: ColumnElement[bool] | None = None) -> Insert:
    """The event's INSERT, its time read by the INSERT itself (``at`` = the later of now and the
    order's latest event, so a timeline never goes back; an aggregate without GROUP BY always
    yields one row, also for the first event). ``only_if`` (a SQL condition, e.g. that a
    compare-and-set in the same statement moved the order) decides whether it inserts. A name
    recorded already for the order inserts nothing (unique (order_id, name))."""
    now = bindparam("ev_now", type_=UTCDateTime)
    at = func.greatest(now, func.coalesce(func.max(SagaEvent.at), now))
    source = select(ORDER_ID, bindparam("ev_name", type_=String), bindparam("ev_detail", type_=String), at,
                    bindparam("ev_task_id", type_=String), bindparam("ev_worker", type_=String),
                    bindparam("ev_attempt", type_=Integer), bindparam("ev_error", type_=String)) \
        .where(SagaEvent.order_id == ORDER_ID)
    if only_if is not None:
        source = source.having(only_if)
    return postgresql.insert(SagaEvent).from_select(
        ["order_id", "name", "detail", "at", "task_id", "worker", "attempt", "error"], source) \
        .on_conflict_do_nothing(index_elements=["order_id", "name"])


# Built once: building a statement costs more CPU than running it, and SQLAlchemy caches the
# compiled form of a statement it sees again.
_insert = lru_cache(maxsize=1)(insert_cte)


def record(conn: Connection, event: Event) -> bool:
    """True if this call recorded the event (False: it was there already)."""
    return conn.execute(_insert(), params(event)).rowcount == 1


def names(conn: Connection | Session, order_id: str) -> list[str]:
    return list(conn.scalars(select(SagaEvent.name).where(SagaEvent.order_id == order_id)
                             .order_by(SagaEvent.at, SagaEvent.id)))
