"""Maccount (queue ``account``): users' profiles and e-wallets.

A thin adapter over ``emarket.accounts``. Late acks are global, so a message can come twice
(a worker killed after its commit); ``create_profile`` is idempotent, so the second delivery
finds the profile and wallet there and answers the same. Transient failures retry with
exponential backoff and full jitter; a business refusal (``DomainError``) fails at once.
"""
from __future__ import annotations

import random

from db.errors import is_transient
from emarket import accounts
from emarket.errors import TransientError
from emarket.storage import unit_of_work
from tasks.celery_app import app

MAX_RETRIES = 8
BACKOFF_BASE, BACKOFF_MAX = 0.5, 30.0


def backoff(retries: int) -> float:
    """Full jitter: uniform in [0, min(max, base·2^n)], so retrying workers do not stampede."""
    return random.uniform(0, min(BACKOFF_MAX, BACKOFF_BASE * 2 ** retries))


def _retryable(error: BaseException) -> bool:
    return isinstance(error, TransientError) or is_transient(error)


@app.task(name="account.create_profile", bind=True, max_retries=MAX_RETRIES)
def create_profile(self, user_id: int, email: str, name: str | None = None) -> dict:
    """The user's profile and e-wallet (balance 0); replies ``{"id", "email", "name"}``."""
    try:
        with unit_of_work("account") as uow:
            return accounts.create_profile(uow, int(user_id), email, name)
    except Exception as error:
        if _retryable(error) and not self.request.called_directly:
            raise self.retry(exc=error, countdown=backoff(self.request.retries))
        raise
