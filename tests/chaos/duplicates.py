"""The chaos workers' Celery app: emarket's own app plus a publish hook that sends a sample of
task messages twice (same task id, same body: what a redelivery looks like to a step).

``celery -A tests.chaos.duplicates worker`` loads it; chaos-only, never imported by the shop.
The hook acts while the file named by ``EMARKET_CHAOS_DUPLICATE_FLAG`` exists, with the
probability in ``EMARKET_CHAOS_DUPLICATE_RATE``, and appends one line per duplicate to
``EMARKET_CHAOS_DUPLICATE_LOG`` so the runner can count them across processes.
"""
from __future__ import annotations

import os
import random

from celery.signals import before_task_publish

from tasks.celery_app import app

# The periodic sweeps and the liveness probe are not saga traffic.
NOT_DUPLICATED = ("saga.ping", "saga.cancel_overdue", "saga.resume_stuck", "money_add.sweep")


def _active() -> bool:
    flag = os.environ.get("EMARKET_CHAOS_DUPLICATE_FLAG", "")
    return bool(flag) and os.path.exists(flag)


@before_task_publish.connect
def publish_twice(sender=None, body=None, exchange=None, routing_key=None, headers=None, properties=None,
                  declare=None, **_):
    if sender in NOT_DUPLICATED or not _active():
        return
    if random.random() >= float(os.environ.get("EMARKET_CHAOS_DUPLICATE_RATE", "0.05")):
        return
    try:
        # Its own short-lived connection: borrowing from the pool while the caller holds one of
        # its producers could exhaust it, and a dead broker must fail fast here, not block.
        with app.connection_for_write(connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
            conn.Producer().publish(body, exchange=exchange, routing_key=routing_key, headers=dict(headers or {}),
                                    serializer="json", delivery_mode=2, declare=declare, retry=False,
                                    **(properties or {}))
    except Exception:  # noqa: BLE001 — the broker is down: this one is simply not doubled
        return
    log = os.environ.get("EMARKET_CHAOS_DUPLICATE_LOG", "")
    if log:
        with open(log, "a") as out:  # one short O_APPEND write per line: safe across processes
            out.write(f"{sender}\n")
