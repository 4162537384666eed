"""The one retry policy of every task that changes state (saga steps, compensations, the
top-up's tasks, the profile's creation): transient errors retry with exponential backoff and
full jitter, business errors (``DomainError``) and bugs never retry and fail at once, so a
saga step's error callback compensates. When retries run out the original error fails the
task the same way — except an outage: while the database or the broker cannot be reached the
step retries until it is back (``is_outage``), since nothing about the order is wrong and
compensating would cancel it for a blip.

A message this task cannot publish (the broker unreachable through every URL after kombu's
own retries: a chain's next step, a retry) puts the running task's own message back instead
(``Reject(requeue=True)``): Celery would otherwise record a failure and fire the error callback,
compensating a step that committed, or drop the message. The redelivered step finds its own
result (every step is idempotent) and publishes again.

``RetryingTask`` is that policy; ``SagaStep`` adds what a saga step also does: its events name
the run that recorded them, the crash tests' fault fires after its commit, and a step (or a
compensation) that fails for an order that does not exist — a message left over after its
database was emptied — is one warning and an ack, not an error at every delivery.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

from celery import Task
from celery._state import get_current_worker_task
from celery.exceptions import Reject, Retry
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import IntegrityError

from db.errors import is_transient, is_unavailable
from emarket import order as orders
from emarket import saga_events
from emarket.config import settings
from emarket.errors import DomainError, TransientError
from emarket.storage import unit_of_work
from tasks import faults
from tasks.countdown import whole_seconds
from tasks.subject import arguments_in_brief, subject_of

log = logging.getLogger(__name__)

BACKOFF_MAX = 30.0
# An outage is retried this often: days rather than minutes (Celery reads ``max_retries=None``
# in ``retry()`` as "the task's default", not as "no limit")...
OUTAGE_RETRIES = 10_000
# ... and at most this far apart: a step is running again within seconds of the database's
# return (a PostgreSQL restart stopped every step for 8.5 s with 30 s, docs/cluster-faults.md).
OUTAGE_BACKOFF_MAX = 4.0
# PostgreSQL's unique_violation, and how psycopg2 words it when no code is at hand.
_UNIQUE_VIOLATION = "23505"
_DUPLICATE_WORDING = ("duplicate key",)


def backoff(retries: int, ceiling_max: float = BACKOFF_MAX) -> int:
    """Full-jitter exponential backoff in whole seconds (tasks.countdown): uniform in
    [1, min(max, base·2^n) rounded up]."""
    ceiling = min(ceiling_max, settings().step_backoff_base * (2 ** min(retries, 16)))
    return random.randint(1, whole_seconds(ceiling))


def is_duplicate(error: IntegrityError) -> bool:
    """A unique constraint hit: what a concurrent twin of this very step causes (its row is
    committed first). Any other integrity error (a NOT NULL, a foreign key, a CHECK) is a bug."""
    code = getattr(error.orig, "pgcode", None)
    if code:
        return bool(code == _UNIQUE_VIOLATION)
    return any(wording in str(error.orig) for wording in _DUPLICATE_WORDING)


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, DomainError):
        return False
    if isinstance(error, (TransientError, BrokerError, ConnectionError, TimeoutError)):
        return True
    # A duplicate written by a concurrent twin of this step: the retry finds the twin's
    # committed result and passes it on. Another constraint broken fails at once.
    if isinstance(error, IntegrityError):
        return is_duplicate(error)
    return is_transient(error)


def is_outage(error: BaseException) -> bool:
    """The database or the broker is out of reach: retry until it is back, never compensate."""
    return isinstance(error, (BrokerError, ConnectionError)) or is_unavailable(error)


class RetryingTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    # A chain passes results in its messages, and a failure reaches its error callback with
    # the exception itself (tasks.compensation.step_failed): only the request-reply tasks, which opt
    # back in, need the result backend.
    ignore_result = True
    # Retries on transient errors; None: settings().step_max_retries. A task that retries on
    # purpose as well (the top-up's poll) sets its own bound.
    transient_retries: int | None = None

    def apply_async(self, args: Sequence[Any] | None = None, kwargs: dict[str, Any] | None = None,
                    **options: Any) -> Any:
        # Every message, also a chain's next step, is published through here.
        if "argsrepr" not in options:
            brief = arguments_in_brief(self, args, kwargs)
            if brief is not None:
                options.update(argsrepr=brief, kwargsrepr="{…}" if kwargs else "{}")
        try:
            return super().apply_async(args, kwargs, **options)
        except BrokerError as error:
            if get_current_worker_task() is not None:  # published by a task a worker runs
                raise Reject(error, requeue=True) from error
            raise

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.run_step(*args, **kwargs)
        except Retry:
            raise
        except Exception as error:
            if is_retryable(error) and not self.request.called_directly:
                limit = self.transient_retries if self.transient_retries is not None else settings().step_max_retries
                ceiling = BACKOFF_MAX
                if is_outage(error) and not self.request.is_eager:  # run eagerly (apply) a retry runs at once
                    limit, ceiling = OUTAGE_RETRIES, OUTAGE_BACKOFF_MAX
                try:
                    raise self.retry(exc=error, countdown=backoff(self.request.retries, ceiling), max_retries=limit)
                except Reject as unpublished:  # Celery drops the message when its retry cannot be sent
                    raise Reject(unpublished.reason, requeue=True) from error
            if self.nothing_to_do(error, args, kwargs):
                return None
            raise

    def nothing_to_do(self, error: Exception, args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
        """Whether this failure is no failure at all: see ``SagaStep``."""
        return False

    def run_step(self, *args: Any, **kwargs: Any) -> Any:
        return super().__call__(*args, **kwargs)


class SagaStep(RetryingTask):
    def run_step(self, *args: Any, **kwargs: Any) -> Any:
        # The saga events this run records name it (task id, worker, attempt) for operators.
        run = saga_events.StepRun(task_id=self.request.id, worker=self.request.hostname,
                                  attempt=(self.request.retries or 0) + 1)
        with saga_events.running_step(run):
            result = super().run_step(*args, **kwargs)
        faults.after_commit(self.name)
        return result

    def nothing_to_do(self, error: Exception, args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
        """The step failed for an order that does not exist: nothing to move and nothing to
        undo (no compensation: the step ends well, and the rest of its chain is dropped). Asked
        only on a failure, so a step's happy path reads nothing more."""
        order_id = subject_of(self, args, kwargs).order_id
        if order_id is None:
            return False
        try:
            with unit_of_work("emarket") as uow:
                if orders.exists(uow, order_id):
                    return False
        except Exception:  # noqa: BLE001 — cannot tell: the step's own error stands
            return False
        log.warning("saga step for an order that does not exist: ignored",
                    extra={"task": self.name, "order_id": order_id, "error": f"{type(error).__name__}: {error}"})
        self.request.chain = None
        return True
