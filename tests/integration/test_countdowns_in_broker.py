"""Countdowns wait in RabbitMQ, not in a worker (native delayed delivery, emarket/broker.py):
no worker holds a payment countdown, and one survives its worker's SIGKILL and fires once."""
from __future__ import annotations

import pytest

from tasks.housekeeping import ping
from tests.integration.saga_helpers import event_names, place, wait_final, wait_status
from tests.support import seed
from tests.support.wait import wait_until

TIMEOUT = 4
LADDER = [f"celery_delayed_{level}" for level in range(28)]


def waiting_in_ladder(app) -> int:
    """Messages in the delay ladder's queues right now."""
    with app.connection_for_write() as conn:
        channel = conn.channel()
        return sum(channel.queue_declare(name, passive=True).message_count for name in LADDER)


def scheduled_in(app, worker) -> list:
    """What `celery inspect scheduled` lists for the worker (ETA tasks it holds)."""
    replies = app.control.inspect(destination=[worker.name], timeout=5).scheduled() or {}
    assert worker.name in replies, f"{worker.name} did not answer inspect scheduled"
    return replies[worker.name]


def test_a_payment_countdown_waits_in_the_broker(celery_app, worker):
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=100)
    before = waiting_in_ladder(celery_app)
    order_id = place(user, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    # The order's countdown (the suite's 60 s clock) sits in the ladder, and no worker holds it.
    wait_until(lambda: waiting_in_ladder(celery_app) > before, timeout=10, what="the countdown in the ladder")
    assert scheduled_in(celery_app, worker) == []


def test_a_countdown_fires_once_across_a_worker_sigkill(celery_app, swap_worker):
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=100)
    with swap_worker({"EMARKET_PAYMENT_TIMEOUT": str(TIMEOUT)}) as short_clock:
        order_id = place(user, [(tea, 1)])
        deadline = wait_status(order_id, "awaiting_payment").payment_deadline
        assert scheduled_in(celery_app, short_clock) == []
        short_clock.kill()  # holds nothing: the countdown is in RabbitMQ
    # The shared worker is back (60 s clock, beat not running): only the countdown can cancel.
    order = wait_final(order_id, timeout=TIMEOUT + 30)
    assert (order.status, order.reason) == ("cancelled", "payment_timeout")
    assert order.updated_at >= deadline
    assert event_names(order_id).count("cancelled") == 1
    assert seed.stock_of(tea) == (3, 0)


@pytest.mark.parametrize("countdown", [1, 3])
def test_a_retry_scheduled_in_whole_seconds_is_delivered(celery_app, worker, countdown):
    """A countdown published from outside a worker reaches its queue through the ladder (what a
    step's retry does): the task runs, after at least its countdown."""
    import time

    started = time.monotonic()
    result = ping.apply_async(countdown=countdown, ignore_result=False)
    assert result.get(timeout=countdown + 20) == "pong"
    assert time.monotonic() - started >= countdown - 0.05
