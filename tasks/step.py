"""The base of every saga step task: transient errors retry with exponential backoff and
jitter, business errors (``DomainError``) never retry and fail at once, so the step's error
callback compensates. When retries run out the original error fails the task the same way.
"""
from __future__ import annotations

import random

from celery import Task
from celery.exceptions import Retry
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import IntegrityError

from db.errors import is_transient
from emarket import saga_events
from emarket.config import settings
from emarket.errors import DomainError, TransientError
from tasks import faults
from tasks.countdown import whole_seconds

BACKOFF_MAX = 30.0


def backoff(retries: int) -> int:
    """Full-jitter exponential backoff in whole seconds (tasks.countdown): uniform in
    [1, min(max, base·2^n) rounded up]."""
    ceiling = min(BACKOFF_MAX, settings().step_backoff_base * (2 ** retries))
    return random.randint(1, whole_seconds(ceiling))


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, DomainError):
        return False
    if isinstance(error, (TransientError, BrokerError, ConnectionError, TimeoutError)):
        return True
    # A unique constraint hit by a concurrent duplicate of this very step: the retry finds
    # the duplicate's committed result and passes it on.
    if isinstance(error, IntegrityError):
        return True
    return is_transient(error)


class SagaStep(Task):
    acks_late = True
    reject_on_worker_lost = True
    # A chain passes results in its messages; only failures (read by the error callback) and
    # the request-reply steps (which opt back in) need the result backend.
    ignore_result = True
    store_errors_even_if_ignored = True

    def __call__(self, *args, **kwargs):
        # The saga events this run records name it (task id, worker, attempt) for operators.
        run = saga_events.StepRun(task_id=self.request.id, worker=self.request.hostname,
                                  attempt=(self.request.retries or 0) + 1)
        try:
            with saga_events.running_step(run):
                result = super().__call__(*args, **kwargs)
        except Retry:
            raise
        except Exception as error:
            if is_retryable(error) and not self.request.called_directly:
                raise self.retry(exc=error, countdown=backoff(self.request.retries),
                                 max_retries=settings().step_max_retries)
            raise
        faults.after_commit(self.name)
        return result
