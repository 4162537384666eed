"""Maccount (queue ``account``): users' profiles and e-wallets.

A thin adapter over ``emarket.accounts``. Late acks are global, so a message can come twice
(a worker killed after its commit); ``create_profile`` is idempotent, so the second delivery
finds the profile and wallet there and answers the same. It shares the saga steps' retry
policy (``tasks.step``): transient failures retry with exponential backoff and full jitter, a
business refusal (``DomainError``) fails at once.
"""
from __future__ import annotations

from typing import Any

from emarket import accounts
from emarket.storage import unit_of_work
from tasks.celery_app import app
from tasks.step import SagaStep


@app.task(base=SagaStep, name="account.create_profile", ignore_result=False)
def create_profile(user_id: int, email: str, name: str | None = None) -> dict[str, Any]:
    """The user's profile and e-wallet (balance 0); replies ``{"id", "email", "name"}`` (the
    auth service waits for this reply)."""
    with unit_of_work("account") as uow:
        return accounts.create_profile(uow, int(user_id), email, name)
