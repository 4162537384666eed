"""The wallet top-up end to end: the bank as a real HTTP service (gunicorn), a real
``money_add`` worker over RabbitMQ, the shop's API through its Flask app, all state in real
PostgreSQL (databases and a vhost of this module's own: see tests/support/topup_world.py).

Money is conserved in every test: the clients' bank accounts plus every e-wallet's balance hold the same total before and after, and the bank's own total (merchant included)
never changes; what reaches a wallet is exactly what the merchant account received.
"""
from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.support.env import overridden_env, settings_with
from tests.support.topup_world import (
    PIN,
    bank_account,
    bank_hold,
    captured_but_not_credited,
    confirm,
    hold_id_of,
    money,
    money_conserved,
    new_customer,
    start_topup,
    topup_stack,
    topup_status,
    wait_status,
    wallet,
)
from tests.support.wait import wait_until
from tests.support.workers import Worker


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from tasks import app as celery_app

    with topup_stack(celery_app, tmp_path_factory.mktemp("topup")) as world:
        yield world


@pytest.fixture(autouse=True)
def _world_settings(stack):
    """Each test runs with this world's databases and broker in force, and leaves them behind."""
    with overridden_env(stack.world_env):
        yield


@pytest.fixture(scope="module")
def shop(stack):
    from web.shop import create_app

    app = create_app(settings_with(stack.world_env))
    app.testing = True
    return app.test_client()


@pytest.fixture
def customer(stack):
    return lambda bank_balance=10_000: new_customer(stack, bank_balance)


# --- the stories ---------------------------------------------------------------------------------

def test_happy_path_through_the_bank_page(stack, shop, customer):
    ann = customer(bank_balance=10_000)
    with money_conserved(stack, reaches_wallets=2_500):
        created = start_topup(shop, ann, 2_500)
        assert created["status"] == "initiated" and created["confirm_url"] is None
        assert created["amount"] == 2_500 and created["currency"] and created["bank_account"] == ann.bank_account
        pending = wait_status(shop, ann, created["id"], "pending_confirmation")
        assert pending["confirm_url"] == f"{stack.bank.url}/bank/confirm/{hold_id_of(pending)}"
        assert (bank_account(stack, ann.bank_account)["balance"], bank_account(stack, ann.bank_account)["held"]) == (7_500, 2_500)
        # The holder confirms in a browser: the page, its CSRF token and cookie, the PIN.
        browser = requests.Session()
        page = browser.get(pending["confirm_url"], timeout=5)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = browser.post(pending["confirm_url"], data={"pin": PIN, "csrf_token": token}, timeout=5)
        assert done.status_code == 200 and "Confirmed" in done.text and "/wallet" in done.text
        wait_status(shop, ann, created["id"], "credited")
    assert wallet(stack, ann.user_id) == (2_500, 1)
    assert (bank_account(stack, ann.bank_account)["balance"], bank_account(stack, ann.bank_account)["held"]) == (7_500, 0)
    ledger = shop.get("/api/wallet/transactions", headers=ann.headers).json["transactions"]
    assert [(t["kind"], t["amount"], t["topup_id"]) for t in ledger] == [("topup", 2_500, created["id"])]


def test_wrong_pin_is_403_and_nothing_moves(stack, shop, customer):
    bob = customer(bank_balance=10_000)
    with money_conserved(stack):
        created = start_topup(shop, bob, 3_000)
        pending = wait_status(shop, bob, created["id"], "pending_confirmation")
        reply = confirm(stack, pending, pin="0000")
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "wrong_pin"
        assert bank_hold(stack, hold_id_of(pending))["status"] == "pending_confirmation"
        assert topup_status(shop, bob, created["id"])["status"] == "pending_confirmation"
    assert wallet(stack, bob.user_id) == (0, 0)
    assert bank_account(stack, bob.bank_account)["balance"] + bank_account(stack, bob.bank_account)["held"] == 10_000


@pytest.mark.parametrize("case", ["insufficient_funds", "unknown_account"])
def test_a_hold_the_bank_refuses_ends_failed(stack, shop, customer, case):
    cat = customer(bank_balance=1_000)
    if case == "unknown_account":
        cat.bank_account = "49999999999999999999"
    with money_conserved(stack):
        created = start_topup(shop, cat, 2_500)
        failed = wait_status(shop, cat, created["id"], "failed")
        assert failed["confirm_url"] is None
    assert wallet(stack, cat.user_id) == (0, 0)


def test_never_confirmed_expires_and_the_bank_balance_comes_back(stack, shop, customer):
    stack.restart_bank(EMARKET_BANK_HOLD_TTL="2")  # the bank's holds now lapse after 2 s
    try:
        dan = customer(bank_balance=10_000)
        with money_conserved(stack):
            created = start_topup(shop, dan, 4_000)
            pending = wait_status(shop, dan, created["id"], "pending_confirmation")
            wait_status(shop, dan, created["id"], "expired")
            assert bank_hold(stack, hold_id_of(pending))["status"] == "expired"
            assert confirm(stack, pending).status_code == 409  # too late for the PIN
        account = bank_account(stack, dan.bank_account)
        assert (account["balance"], account["held"]) == (10_000, 0)
        assert wallet(stack, dan.user_id) == (0, 0)
    finally:
        stack.restart_bank()


def test_sweep_releases_the_hold_of_a_top_up_left_unconfirmed(stack, shop, customer):
    eve = customer(bank_balance=10_000)
    with money_conserved(stack):
        created = start_topup(shop, eve, 1_500)
        pending = wait_status(shop, eve, created["id"], "pending_confirmation")

        def swept():
            stack.celery.send_task("money_add.sweep")
            return topup_status(shop, eve, created["id"])["status"] == "expired"

        wait_until(swept, timeout=30, interval=0.5, what="the sweep to expire the top-up")
        # The bank's own TTL is 15 minutes: the hold was released by the shop, not expired.
        assert bank_hold(stack, hold_id_of(pending))["status"] == "released"
    account = bank_account(stack, eve.bank_account)
    assert (account["balance"], account["held"]) == (10_000, 0)


def test_confirmation_sent_twice_captures_once(stack, shop, customer):
    fay = customer(bank_balance=10_000)
    with money_conserved(stack, reaches_wallets=2_000):
        created = start_topup(shop, fay, 2_000)
        pending = wait_status(shop, fay, created["id"], "pending_confirmation")
        first, second = confirm(stack, pending), confirm(stack, pending)
        assert (first.status_code, second.status_code) == (200, 200)
        wait_status(shop, fay, created["id"], "credited")
    assert wallet(stack, fay.user_id) == (2_000, 1)
    assert bank_account(stack, fay.bank_account)["balance"] == 8_000


def test_credit_task_delivered_twice_credits_once(stack, shop, customer):
    gus = customer(bank_balance=10_000)
    before = money(stack)
    topup_id = captured_but_not_credited(stack, gus, 3_300)
    results = [stack.celery.send_task("money_add.credit", args=[topup_id], ignore_result=False) for _ in range(3)]
    outcomes = sorted(result.get(timeout=30) for result in results)
    assert outcomes == [False, False, True]
    assert topup_status(shop, gus, topup_id)["status"] == "credited"
    assert wallet(stack, gus.user_id) == (3_300, 1)
    after = money(stack)
    assert after["conserved"] == before["conserved"] and after["bank"] == before["bank"]


def test_sweep_credits_a_top_up_stuck_after_capture_once(stack, shop, customer):
    hal = customer(bank_balance=10_000)
    before = money(stack)
    topup_id = captured_but_not_credited(stack, hal, 1_200)
    stack.celery.send_task("money_add.sweep")
    wait_status(shop, hal, topup_id, "credited")
    stack.celery.send_task("money_add.sweep")  # a second sweep finds nothing more to do
    credited_again = stack.celery.send_task("money_add.credit", args=[topup_id], ignore_result=False)
    assert credited_again.get(timeout=30) is False
    assert wallet(stack, hal.user_id) == (1_200, 1)
    after = money(stack)
    assert after["conserved"] == before["conserved"]


def test_bank_unreachable_at_start_delays_the_top_up_then_it_completes(stack, shop, customer):
    ida = customer(bank_balance=10_000)
    seen = len(stack.worker.log())
    with money_conserved(stack, reaches_wallets=900):
        stack.bank.stop()
        try:
            created = start_topup(shop, ida, 900)
            wait_until(lambda: _start_retries(stack.worker.log()[seen:]) >= 2, timeout=30, what="start to retry")
            assert topup_status(shop, ida, created["id"])["status"] == "initiated"
        finally:
            stack.restart_bank()
        pending = wait_status(shop, ida, created["id"], "pending_confirmation", timeout=90)
        assert confirm(stack, pending).status_code == 200
        wait_status(shop, ida, created["id"], "credited")
    assert wallet(stack, ida.user_id) == (900, 1)


def _start_retries(log: str) -> int:
    return sum("money_add.start[" in line and "bank unreachable" in line for line in log.splitlines())


def test_worker_killed_between_capture_and_credit_is_credited_once(stack, shop, customer, tmp_path):
    jon = customer(bank_balance=10_000)
    marker = tmp_path / "crashed"
    with money_conserved(stack, reaches_wallets=700):
        stack.worker.stop()
        crashing = Worker(stack.celery, stack.logs, queues=("money_add",), env={
            **stack.worker_env, "EMARKET_FAULT_CRASH_AFTER": "money_add.poll", "EMARKET_FAULT_MARKER": str(marker),
        }).start()
        try:
            created = start_topup(shop, jon, 700)
            pending = wait_status(shop, jon, created["id"], "pending_confirmation")
            assert confirm(stack, pending).status_code == 200
            # The poller saw the capture, committed it, and died before sending the credit.
            wait_until(marker.exists, timeout=30, what="the injected crash")
            crashing.kill()
        finally:
            crashing.kill()
            stack.worker.start()
        assert topup_status(shop, jon, created["id"])["status"] in ("captured", "credited")
        stack.celery.send_task("money_add.sweep")
        wait_status(shop, jon, created["id"], "credited")
    assert wallet(stack, jon.user_id) == (700, 1)


# --- the API's edges ---------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"amount": 0}, {"amount": 10_000_001}, {"amount": "5"}, {"amount": 5.0}, {"amount": True},
    {"bank_account": "abc"}, {"bank_account": 4000}, {"bank_account": ""}, {"extra": 1},
])
def test_create_refuses_bad_input_and_stores_nothing(stack, shop, customer, body):
    kim = customer()
    reply = shop.post("/api/wallet/topups", json={"amount": 500, "bank_account": kim.bank_account, **body},
                      headers=kim.headers)
    assert reply.status_code == 400 and reply.json["error"]["code"] == "invalid_request"
    assert shop.get("/api/wallet/topups", headers=kim.headers).json["topups"] == []


def test_create_needs_a_token(shop, stack):
    reply = shop.post("/api/wallet/topups", json={"amount": 500, "bank_account": "4000"})
    assert reply.status_code == 401 and reply.json["error"]["code"] == "unauthorized"


def test_idempotency_key_replays_the_first_reply_and_refuses_another_body(stack, shop, customer):
    lee = customer()
    first = start_topup(shop, lee, 600, key="same-key")
    again = shop.post("/api/wallet/topups", json={"amount": 600, "bank_account": lee.bank_account},
                      headers={**lee.headers, "Idempotency-Key": "same-key"})
    assert (again.status_code, again.json) == (202, first)
    other = shop.post("/api/wallet/topups", json={"amount": 601, "bank_account": lee.bank_account},
                      headers={**lee.headers, "Idempotency-Key": "same-key"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    # The key is the caller's own: another user may use the same string.
    assert start_topup(shop, customer(), 600, key="same-key")["id"] != first["id"]
    assert [t["id"] for t in shop.get("/api/wallet/topups", headers=lee.headers).json["topups"]] == [first["id"]]
    too_long = shop.post("/api/wallet/topups", json={"amount": 600, "bank_account": lee.bank_account},
                         headers={**lee.headers, "Idempotency-Key": "k" * 256})
    assert too_long.status_code == 400


def test_another_users_top_up_is_404(stack, shop, customer):
    mia, ned = customer(), customer()
    created = start_topup(shop, mia, 100)
    assert shop.get(f"/api/wallet/topups/{created['id']}", headers=ned.headers).status_code == 404
    assert shop.get("/api/wallet/topups/not-a-uuid", headers=mia.headers).status_code == 404
    assert shop.get(f"/api/wallet/topups/{uuid.uuid4()}", headers=mia.headers).status_code == 404


def test_list_is_newest_first_and_paginated(stack, shop, customer):
    oli = customer()
    ids = [start_topup(shop, oli, amount)["id"] for amount in (100, 200, 300)]
    page = shop.get("/api/wallet/topups?limit=2", headers=oli.headers).json
    assert [t["id"] for t in page["topups"]] == ids[::-1][:2] and page["currency"] and page["next"]
    rest = shop.get(f"/api/wallet/topups?limit=2&cursor={page['next']}", headers=oli.headers).json
    assert [t["id"] for t in rest["topups"]] == [ids[0]] and rest["next"] is None
    for query in ("limit=0", "limit=101", "limit=x", "cursor=bogus!"):
        assert shop.get(f"/api/wallet/topups?{query}", headers=oli.headers).status_code == 400
