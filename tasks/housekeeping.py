"""Housekeeping on the choreographer's queue (``saga``): beat's key cleanup and the liveness ping.

``saga.ping`` answers ``pong``: it proves a worker consumes a queue and results come back
(health checks, ``celery -A tasks call saga.ping``).

``saga.forget_idempotency_keys`` deletes the Idempotency-Keys older than
``emarket.idempotency.KEEP_FOR`` (24 h) in the shop's databases. The bank is a separate service:
its operator runs ``emarket db forget-idempotency-keys -d bank`` (docs/operations.md).
"""
from __future__ import annotations

from emarket import idempotency
from tasks.celery_app import app
from tasks.step import SagaStep


@app.task(name="saga.ping", ignore_result=False)
def ping() -> str:
    return "pong"


@app.task(base=SagaStep, name="saga.forget_idempotency_keys")
def forget_idempotency_keys() -> int:
    return sum(idempotency.forget_older_than(database) for database in ("emarket", "account"))
