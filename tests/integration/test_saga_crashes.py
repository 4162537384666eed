"""A worker killed in the middle of a step, and a step that dies right after its commit and
before the next message is sent: after a restart the saga still ends right.

The mechanism: late acks + reject-on-worker-lost keep the step's message on RabbitMQ until the
step returned and its successor was published (with publisher confirms); a crash before that
redelivers the message, and the idempotent step finds its own committed result and passes it on.
"""
from __future__ import annotations

import os

import pytest

from tasks import requests, saga
from tests.integration.saga_helpers import event_names, place, wait_final, wait_status
from tests.support import seed
from tests.support.wait import wait_until


@pytest.mark.parametrize("step", ["product.reserve", "money.charge", "order.complete"])
def test_worker_killed_mid_step(swap_worker, tmp_path, step):
    marker = tmp_path / "hung"
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=200)
    with swap_worker({"EMARKET_FAULT_HANG_IN": step, "EMARKET_FAULT_MARKER": str(marker)}) as faulty:
        order_id = place(user, [(tea, 1)])
        wait_status(order_id, "awaiting_payment")
        assert requests.request_payment(order_id, user) == "started"
        wait_until(marker.exists, timeout=30, what=f"{step} to be caught mid-transaction")
        faulty.kill()
    # The shared worker is back: it receives the requeued message and finishes the saga.
    assert wait_final(order_id, timeout=60).status == "completed"
    assert seed.stock_of(tea) == (2, 0)
    assert seed.wallet_of(user) == 800
    assert len(seed.entries(order_id, "debit")) == 1 and len(seed.reservations(order_id)) == 1


@pytest.mark.parametrize("step", ["order.register", "product.check", "product.reserve", "money.charge"])
def test_step_dies_after_commit_before_next_message(swap_worker, tmp_path, step):
    marker = tmp_path / "crashed"
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=200)
    with swap_worker({"EMARKET_FAULT_CRASH_AFTER": step, "EMARKET_FAULT_MARKER": str(marker)}) as faulty:
        order_id = place(user, [(tea, 1)])
        wait_status(order_id, "awaiting_payment", "cancelled", timeout=60)
        assert requests.request_payment(order_id, user) == "started"
        wait_until(marker.exists, timeout=30, what=f"{step} to crash after its commit")
        faulty.kill()  # and restart: the shared worker comes back
    assert wait_final(order_id, timeout=60).status == "completed"
    assert seed.stock_of(tea) == (2, 0) and seed.wallet_of(user) == 800
    assert len(seed.entries(order_id, "debit")) == 1
    assert event_names(order_id).count("completed") == 1


def test_transient_error_is_retried_then_compensated(swap_worker):
    """The wallet's database unreachable: money.charge retries with backoff, then its error
    callback records the failure; once the database is back the stuck-saga sweeper finishes the
    compensation and the order ends cancelled (failed) with its stock released."""
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=200)
    unreachable = {"EMARKET_DB_ACCOUNT": "postgresql+psycopg2://postgres@127.0.0.1:1/none",
                   "EMARKET_STEP_MAX_RETRIES": "2", "EMARKET_STEP_BACKOFF_BASE": "0.05"}
    with swap_worker(unreachable) as broken:
        order_id = place(user, [(tea, 1)])
        wait_status(order_id, "awaiting_payment")
        assert requests.request_payment(order_id, user) == "started"
        wait_until(lambda: "charge_failed" in event_names(order_id), timeout=60, what="charge to give up")
        assert broken.log().count("money.charge") and "Retry in" in broken.log()
    assert dict(seed.events(order_id))["charge_failed"] == "failed"
    saga.resume_stuck.apply_async((0,), ignore_result=False).get(timeout=90)
    order = wait_final(order_id, timeout=60)
    assert (order.status, order.reason) == ("cancelled", "failed")
    assert seed.stock_of(tea) == (3, 0) and seed.wallet_of(user) == 1_000
    # Usually nothing was charged. A charge message redelivered once the database is back (a
    # broker restart requeues it) may still debit before the claim stops the completion: then
    # its refund follows. Either way the cancelled order holds no money.
    entries = seed.entries(order_id)
    assert sum(e.amount for e in entries) == 0
    assert sorted(e.kind for e in entries) in ([], ["debit", "refund"])
