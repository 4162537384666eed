"""Saga events: the order's timeline, one row per step done, failed or compensated.

Each name happens at most once per order (a unique constraint), so recording is idempotent:
a redelivered step records nothing new. ``at`` never decreases along one order's timeline,
even when steps run on machines whose clocks differ slightly.

Each event also says which run of which step recorded it (the Celery task id, the worker, the
attempt), for the operators' saga console. The task layer sets that once per step run in a
context variable (``running_step``), so this module stays free of Celery and the step's one
INSERT simply carries three more values: no extra round trip.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from sqlalchemy import Integer, String, bindparam, func, select
from sqlalchemy.dialects import postgresql

from db.base import UTCDateTime, utcnow
from db.emarket import SagaEvent
from db.unit_of_work import UnitOfWork

# Names, as docs/api.md lists them.
FORWARD = ("accepted", "registered", "stock_checked", "awaiting_payment",
           "payment_started", "stock_reserved", "money_charged", "completed")
FAILURES = ("registration_failed", "stock_check_failed", "stock_reservation_failed",
            "charge_failed", "completion_failed")
COMPENSATIONS = ("stock_released", "money_refunded", "cancelled")
ALL = FORWARD + FAILURES + COMPENSATIONS


@dataclass(frozen=True)
class StepRun:
    """One run of a saga step: its Celery task id, the worker's name, the attempt (1 = first),
    and for a failed step the error it failed with."""

    task_id: str | None = None
    worker: str | None = None
    attempt: int | None = None
    error: str | None = None


_running_step: ContextVar[StepRun | None] = ContextVar("running_step", default=None)


@contextmanager
def running_step(run: StepRun) -> Iterator[None]:
    """Events recorded inside this block are credited to ``run``."""
    token = _running_step.set(run)
    try:
        yield
    finally:
        _running_step.reset(token)


def _step_values(run: StepRun | None) -> dict:
    run = run or _running_step.get() or StepRun()
    return {"task_id": run.task_id, "worker": (run.worker or None) and run.worker[:200], "attempt": run.attempt,
            "error": (run.error or None) and run.error[:500]}


def event_params(order_id: str, name: str, detail: str = "", run: StepRun | None = None) -> dict:
    """The bound values of ``event_insert``'s statement."""
    if name not in ALL:
        raise ValueError(f"unknown saga event {name!r}")
    return {"b_order_id": order_id, "b_ev_name": name, "b_ev_detail": detail[:500], "b_ev_now": utcnow(),
            **{f"b_ev_{key}": value for key, value in _step_values(run).items()}}


def event_insert(only_if=None):
    """An event's INSERT as one statement of bound parameters (``event_params``),
    built once and reused (SQLAlchemy caches its compiled form; building a statement costs
    more CPU than running it). Its time is read by the INSERT itself (``at`` = the later of
    now and the order's latest event; an aggregate without GROUP BY always yields one row,
    also for the first event). ``only_if`` (a SQL condition, e.g. that a compare-and-set in
    the same statement moved the order) decides whether it inserts, so a step's state change
    and its event travel as one statement."""
    now = bindparam("b_ev_now", type_=UTCDateTime)
    at = func.greatest(now, func.coalesce(func.max(SagaEvent.at), now))
    source = select(bindparam("b_order_id", type_=String), bindparam("b_ev_name", type_=String),
                    bindparam("b_ev_detail", type_=String), at, bindparam("b_ev_task_id", type_=String),
                    bindparam("b_ev_worker", type_=String), bindparam("b_ev_attempt", type_=Integer),
                    bindparam("b_ev_error", type_=String)) \
        .where(SagaEvent.order_id == bindparam("b_order_id", type_=String))
    if only_if is not None:
        source = source.having(only_if)
    return postgresql.insert(SagaEvent).from_select(
        ["order_id", "name", "detail", "at", "task_id", "worker", "attempt", "error"], source) \
        .on_conflict_do_nothing(index_elements=["order_id", "name"])


_plain_insert = lru_cache(maxsize=1)(event_insert)


def record(uow: UnitOfWork, order_id: str, name: str, detail: str = "", run: StepRun | None = None) -> bool:
    """True if this call recorded the event (False: it was there already). ``run`` names the
    step run to credit when it is not the one running here (a failure, recorded by the
    compensation on behalf of the step that failed)."""
    params = event_params(order_id, name, detail, run)
    return uow.connection().execute(_plain_insert(), params).rowcount == 1


def names(uow: UnitOfWork, order_id: str) -> list[str]:
    return list(uow.session.scalars(
        select(SagaEvent.name).where(SagaEvent.order_id == order_id).order_by(SagaEvent.at, SagaEvent.id)))

