"""Every countdown in the project is a whole number of seconds, at least one.

On RabbitMQ a countdown waits in the broker (Celery's native delayed delivery, docs/payment-clock.md):
Celery routes the message through RabbitMQ's TTL queues by the bits of ``int(countdown)``. A
fraction is cut off (the task arrives early and waits in a worker for the rest), and
``int(0.4)`` is 0, which kombu refuses ("countdown must be a positive number"): a
``self.retry(countdown=0.4)`` is then rejected and its message dropped. Rounding up to whole
seconds keeps every delay at least as long as asked and every message in the broker.
"""
from __future__ import annotations

import math
from datetime import UTC, datetime


def whole_seconds(delay: float) -> int:
    """``delay`` rounded up to whole seconds, never less than 1."""
    return max(1, math.ceil(delay))


def until(moment: datetime) -> int:
    """A countdown that ends at ``moment`` or just after it (never before: rounded up).

    Use it instead of ``eta=``: Celery cuts an ETA to whole seconds *down*, so the task would
    reach a worker before its time and wait there again."""
    if moment.tzinfo is None:  # a naive datetime is UTC: the project stores UTC only
        moment = moment.replace(tzinfo=UTC)
    return whole_seconds((moment - datetime.now(UTC)).total_seconds())
