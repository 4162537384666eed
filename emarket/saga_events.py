"""Saga events: the order's timeline, one row per step done, failed or compensated.

Each name happens at most once per order (a unique constraint), so recording is idempotent:
a redelivered step records nothing new. ``at`` never decreases along one order's timeline,
even when steps run on machines whose clocks differ slightly.

Each event also says which run of which step recorded it (the Celery task id, the worker, the
attempt), for the operators' saga console. The task layer sets that once per step run in a
context variable (``running_step``), so this module stays free of Celery and the step's one
INSERT simply carries three more values: no extra round trip. The SQL is ``db.stores.events``'s.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from db.base import utcnow
from db.stores import events
from db.stores.events import Event
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


def event(order_id: str, name: str, detail: str = "", run: StepRun | None = None) -> Event:
    """The event to record: a known name, credited to ``run`` or else to the step running here."""
    if name not in ALL:
        raise ValueError(f"unknown saga event {name!r}")
    run = run or _running_step.get() or StepRun()
    return Event(order_id=order_id, name=name, detail=detail, at=utcnow(), task_id=run.task_id,
                 worker=run.worker or None, attempt=run.attempt, error=run.error or None)


def record(uow: UnitOfWork, order_id: str, name: str, detail: str = "", run: StepRun | None = None) -> bool:
    """True if this call recorded the event (False: it was there already). ``run`` names the
    step run to credit when it is not the one running here (a failure, recorded by the
    compensation on behalf of the step that failed)."""
    return events.record(uow.connection(), event(order_id, name, detail, run))


def names(uow: UnitOfWork, order_id: str) -> list[str]:
    return events.names(uow.session, order_id)
