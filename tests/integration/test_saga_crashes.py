"""A worker killed in the middle of a step, and a step that dies right after its commit and
before the next message is sent: after a restart the saga still ends right.

The mechanism: late acks + reject-on-worker-lost keep the step's message on RabbitMQ until the
step returned and its successor was published (with publisher confirms); a crash before that
redelivers the message, and the idempotent step finds its own committed result and passes it on.
"""
from __future__ import annotations

import pytest

from tests.integration.saga_helpers import (
    event_names,
    place,
    place_and_pay,
    wait_final,
    wait_status,
)
from tests.support import seed
from tests.support.wait import wait_until
from web.shop import saga_client


def _shopper_and_tea() -> tuple[int, int]:
    """A shopper with 10.00 in the wallet; a tea at 2.00, three in stock."""
    return seed.user(balance=1_000), seed.product(count=3, price=200)


@pytest.mark.parametrize("step", ["product.reserve", "money.charge", "order.complete"])
def test_worker_killed_mid_step(swap_worker, tmp_path, step):
    marker = tmp_path / "hung"
    user, tea = _shopper_and_tea()
    with swap_worker({"EMARKET_FAULT_HANG_IN": step, "EMARKET_FAULT_MARKER": str(marker)}) as faulty:
        order_id = place_and_pay(user, [(tea, 1)])
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
    user, tea = _shopper_and_tea()
    with swap_worker({"EMARKET_FAULT_CRASH_AFTER": step, "EMARKET_FAULT_MARKER": str(marker)}) as faulty:
        order_id = place(user, [(tea, 1)])
        wait_status(order_id, "awaiting_payment", "cancelled", timeout=60)
        assert saga_client.request_payment(order_id, user) == "started"
        wait_until(marker.exists, timeout=30, what=f"{step} to crash after its commit")
        faulty.kill()  # and restart: the shared worker comes back
    assert wait_final(order_id, timeout=60).status == "completed"
    assert seed.stock_of(tea) == (2, 0) and seed.wallet_of(user) == 800
    assert len(seed.entries(order_id, "debit")) == 1
    assert event_names(order_id).count("completed") == 1


def test_an_unreachable_database_is_retried_until_it_is_back_and_never_compensated(swap_worker):
    """The wallet's database unreachable (a crash, a restart): money.charge retries past the
    transient-error limit without failing, so nothing is compensated and the order is not
    cancelled for an outage; once the database is back the step runs and the order completes
    (issue 21; docs/cluster-faults.md)."""
    user, tea = _shopper_and_tea()
    unreachable = {"EMARKET_DB_ACCOUNT": "postgresql+psycopg2://postgres@127.0.0.1:1/none",
                   "EMARKET_STEP_MAX_RETRIES": "2", "EMARKET_STEP_BACKOFF_BASE": "0.05"}
    with swap_worker(unreachable) as broken:
        order_id = place_and_pay(user, [(tea, 1)])
        # Twice the limit a transient error gets: an outage has none.
        wait_until(lambda: broken.log().count("money.charge") and broken.log().count("Retry in") >= 4, timeout=60,
                   what="money.charge to retry past its limit")
        assert "charge_failed" not in event_names(order_id) and "cancelled" not in event_names(order_id)
    order = wait_final(order_id, timeout=90)  # the shared worker takes the waiting retry
    assert (order.status, order.reason) == ("completed", None)
    assert seed.stock_of(tea) == (2, 0) and seed.wallet_of(user) == 800
    assert [e.kind for e in seed.entries(order_id)] == ["debit"]


