"""Operations over the real stack: the shop's /metrics moves by exactly what a scripted happy
path and a user's cancel did, and one order's id grepped over the worker's log tells its whole
saga, step by step, as JSON lines carrying the HTTP request's correlation id.

The worker counts into Redis under a key prefix of this module's own, so other test runs on
this machine (and other modules' sagas) cannot move the figures between our two scrapes.
"""
from __future__ import annotations

import json
import time
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tasks import metrics
from tests.integration.saga_helpers import wait_final, wait_status
from tests.settings import REDIS_SERVER
from tests.support import seed
from tests.support.env import overridden_env
from tests.support.tokens import bearer, mint
from tests.support.wait import wait_until
from web.shop import saga_client

PHASE1 = ["order.register", "product.check", "order.await_payment"]
PHASE2 = ["order.start_payment", "product.reserve", "money.charge", "order.complete"]
SAGA_FIGURES = ("emarket_saga", "emarket_compensations")  # what the workers count, not the scrapes
OPS_ENV = {"EMARKET_REDIS_URL": f"{REDIS_SERVER}/8",
           "EMARKET_METRICS_PREFIX": f"emarket:test-metrics:{uuid.uuid4().hex[:12]}"}


@pytest.fixture(scope="module")
def ops_worker(swap_worker):
    """The only worker of the session while this module runs, counting under our prefix."""
    with swap_worker(OPS_ENV) as worker:
        yield worker


@pytest.fixture
def shop(ops_worker):
    """The shop with our Redis and prefix over the test's settings (the integration databases),
    in force for the whole test: the scrapes and the helpers read what the worker counts."""
    with overridden_env(OPS_ENV) as given:
        from web.shop import create_app

        app = create_app(given)
        app.testing = True
        yield app.test_client()


def scrape(shop) -> dict[tuple[str, tuple], float]:
    response = shop.get("/metrics")
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def settled(shop) -> dict[tuple[str, tuple], float]:
    """A scrape once the saga figures have stopped moving. An earlier test's orders are final,
    but each worker process sends their step latencies up to ``FLUSH_SECONDS`` later (and
    counts a saga's end just after its commit): a "before" taken in that gap would blame the
    late figures on this test. Figures unchanged for three flush periods hold no one's
    pending work."""
    quiet_for = 3 * metrics.FLUSH_SECONDS
    last = {"figures": None, "since": 0.0}

    def quiet():
        samples = scrape(shop)
        figures = {key: v for key, v in samples.items() if key[0].startswith(SAGA_FIGURES)}
        if figures != last["figures"]:
            last.update(figures=figures, since=time.monotonic())
            return None
        return samples if time.monotonic() - last["since"] >= quiet_for else None

    return wait_until(quiet, timeout=60, interval=0.2, what="the saga figures to stop moving")


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before, after, name, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def pay_through_the_api(shop, user: int, product: int, cid: str) -> str:
    headers = {**bearer(mint(user)), "X-Correlation-ID": cid}
    response = shop.post("/api/orders", json={"items": [{"product_id": product, "quantity": 1}]}, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.headers["X-Correlation-ID"] == cid
    order_id = response.get_json()["id"]
    wait_status(order_id, "awaiting_payment")
    assert shop.post(f"/api/orders/{order_id}/payment", headers=headers).status_code == 202
    assert wait_final(order_id).status == "completed"
    return order_id


def test_metrics_move_by_exactly_one_happy_path_and_one_cancel(shop):
    user, product = seed.user(balance=10_000), seed.product(count=10, price=250)
    before = settled(shop)

    pay_through_the_api(shop, user, product, f"it-{uuid.uuid4().hex}")
    cancelled = saga_client.place_order(user, [{"product_id": product, "quantity": 1}], None).resource_id
    wait_status(cancelled, "awaiting_payment")
    assert saga_client.request_cancel(cancelled, user) == "cancelled"

    # The worker counts right after its commit, a moment after the status shows: wait for it.
    wait_until(lambda: moved(before, scrape(shop), "emarket_sagas_completed_total") >= 1,
               timeout=10, what="the completed saga to be counted")
    # Every step ran once per order that reached it: phase 1 twice, phase 2 once. Each worker
    # process sends its steps' latencies within a second (tasks.metrics.FLUSH_SECONDS).
    runs = {**dict.fromkeys(PHASE1, 2), **dict.fromkeys(PHASE2 + ["order.cancel_by_user"], 1)}
    wait_until(lambda: all(moved(before, scrape(shop), "emarket_saga_step_seconds_count", step=step) >= n
                           for step, n in runs.items()), timeout=10, what="every step's latency to be sent")
    after = scrape(shop)
    assert moved(before, after, "emarket_sagas_started_total") == 2
    assert moved(before, after, "emarket_sagas_completed_total") == 1
    assert moved(before, after, "emarket_sagas_cancelled_total", reason="cancelled_by_user") == 1
    for reason in ("out_of_stock", "unknown_product", "payment_timeout", "insufficient_funds", "failed"):
        assert moved(before, after, "emarket_sagas_cancelled_total", reason=reason) == 0
    assert not any(name == "emarket_compensations_total" and moved(before, after, name, **dict(labels))
                   for name, labels in after)
    for step, n in runs.items():
        assert moved(before, after, "emarket_saga_step_seconds_count", step=step) == n, step
    assert any(name == "http_requests_total" and dict(labels).get("endpoint") == "/api/orders"
               for name, labels in after)


def test_grepping_an_order_id_over_the_worker_log_tells_its_saga_in_order(shop, ops_worker):
    user, product = seed.user(balance=10_000), seed.product(count=10, price=250)
    cid = f"it-{uuid.uuid4().hex}"
    order_id = pay_through_the_api(shop, user, product, cid)

    def story():
        lines = [line for line in ops_worker.log().splitlines() if order_id in line]
        entries = [json.loads(line) for line in lines]  # every line that names the order is JSON
        done = [e for e in entries if e.get("msg") == "step done"]
        return entries if len(done) >= len(PHASE1 + PHASE2) else None

    entries = wait_until(story, timeout=10, what="every step of the saga in the worker's log")
    started = [e["task"] for e in entries if e.get("msg") == "step started"]
    assert started == PHASE1 + PHASE2
    done = {e["task"]: e for e in entries if e.get("msg") == "step done"}
    assert set(done) == set(PHASE1 + PHASE2)
    for _task, entry in done.items():
        assert entry["outcome"] == "success", entry
        assert entry["order_id"] == order_id and entry["duration_ms"] >= 0
    assert done["order.start_payment"]["result"] == "started"
    # The HTTP request's correlation id travelled through every task of the saga.
    steps = [e for e in entries if e.get("msg") in ("step started", "step done")]
    assert {e.get("cid") for e in steps} == {cid}
    assert all(e["service"] == "worker" and e["ts"].endswith("Z") for e in steps)


def test_a_task_sent_with_a_correlation_id_header_carries_it(shop, ops_worker, celery_app):
    """Tasks whose arguments hold no saga context (the top-up's, the payment clock) get the id
    from the message header that every publish adds while an id is current."""
    from emarket import logs

    cid = f"hdr-{uuid.uuid4().hex}"
    token = logs.set_correlation_id(cid)
    try:
        result = celery_app.send_task("saga.ping")
    finally:
        logs.reset_correlation_id(token)
    assert result.get(timeout=10) == "pong"
    wait_until(lambda: any(result.id in line and f'"cid": "{cid}"' in line and "step done" in line
                           for line in ops_worker.log().splitlines()),
               timeout=10, what="the ping's log line with the header's correlation id")


def test_a_failed_payment_counts_its_compensations_and_logs_the_failed_step(shop, ops_worker):
    poor, product = seed.user(balance=100), seed.product(count=10, price=250)
    before = settled(shop)
    order_id = saga_client.place_order(poor, [{"product_id": product, "quantity": 1}], None).resource_id
    wait_status(order_id, "awaiting_payment")
    assert saga_client.request_payment(order_id, poor) == "started"
    assert wait_final(order_id).reason == "insufficient_funds"

    wait_until(lambda: moved(before, scrape(shop), "emarket_compensations_total", step="order.cancel") >= 1,
               timeout=10, what="the cancel to be counted")
    after = scrape(shop)
    assert moved(before, after, "emarket_sagas_cancelled_total", reason="insufficient_funds") == 1
    assert moved(before, after, "emarket_compensations_total", step="product.release") == 1
    assert moved(before, after, "emarket_compensations_total", step="order.cancel") == 1
    assert moved(before, after, "emarket_compensations_total", step="money.refund") == 0  # nothing was charged
    assert moved(before, after, "emarket_sagas_completed_total") == 0

    entries = [json.loads(line) for line in ops_worker.log().splitlines() if order_id in line]
    [charge] = [e for e in entries if e.get("msg") == "step done" and e.get("task") == "money.charge"]
    assert (charge["outcome"], charge["reason"]) == ("failure", "insufficient_funds")
    started = [e["task"] for e in entries if e.get("msg") == "step started"]
    assert started[:len(PHASE1) + 3] == PHASE1 + ["order.start_payment", "product.reserve", "money.charge"]
    assert started[-3:] == ["money.refund", "product.release", "order.cancel"]
