"""POST/GET /bank/accounts and the availability check: keys, input limits, 404s."""
from __future__ import annotations

import pytest

from tests.web.bank.conftest import ADMIN, MERCHANT, MERCHANT_ACCOUNT

GOOD = {"owner": "Ann", "pin": "1234", "balance": 10_000}


def test_create_account_returns_the_account(client, account_of, bank_urls):
    reply = client.post("/bank/accounts", json=GOOD, headers=ADMIN)
    assert reply.status_code == 201
    body = reply.json
    assert body["owner"] == "Ann" and body["balance"] == 10_000 and body["currency"] == "USD"
    assert body["number"].isdigit() and body["number"] != MERCHANT_ACCOUNT
    assert account_of(body["number"]) == {**body, "held": 0}


def test_pin_is_stored_hashed_with_argon2(client, bank_urls):
    from sqlalchemy import text

    from db.engine import get_engine

    number = client.post("/bank/accounts", json=GOOD, headers=ADMIN).json["number"]
    with get_engine(bank_urls["bank"]).connect() as conn:
        stored = conn.execute(text("SELECT pin_hash FROM bank_account WHERE number = :n"), {"n": number}).scalar()
    assert stored.startswith("$argon2") and "1234" not in stored


def test_merchant_account_exists_from_the_first_start_and_only_once(app, account_of):
    from web.bank import create_app

    create_app()  # a second start (another gunicorn worker) must not fail or duplicate
    assert account_of(MERCHANT_ACCOUNT) == {"number": MERCHANT_ACCOUNT, "owner": "emarket merchant",
                                            "balance": 0, "held": 0, "currency": "USD"}


@pytest.mark.parametrize("headers, status", [
    ({}, 401), ({"X-Api-Key": ""}, 401), ({"X-Api-Key": "nope"}, 401), (MERCHANT, 403),
])
def test_create_account_needs_the_admin_key(client, snapshot, headers, status):
    before = snapshot()
    reply = client.post("/bank/accounts", json=GOOD, headers=headers)
    assert reply.status_code == status
    assert reply.json["error"]["code"] == ("unauthorized" if status == 401 else "forbidden")
    assert snapshot() == before


@pytest.mark.parametrize("change", [
    {"pin": "123"}, {"pin": "123456789"}, {"pin": "12a4"}, {"pin": 1234}, {"pin": " 1234"},
    {"balance": -1}, {"balance": 1_000_000_001}, {"balance": "100"}, {"balance": True}, {"balance": 1.0},
    {"owner": ""}, {"owner": "x" * 101}, {"owner": 7}, {"extra": 1},
])
def test_create_account_refuses_bad_input(client, snapshot, change):
    before = snapshot()
    reply = client.post("/bank/accounts", json={**GOOD, **change}, headers=ADMIN)
    assert reply.status_code == 400, reply.json
    assert reply.json["error"]["code"] == "invalid_request"
    assert snapshot() == before


@pytest.mark.parametrize("missing", ["owner", "pin", "balance"])
def test_create_account_refuses_a_missing_field(client, snapshot, missing):
    before = snapshot()
    body = {k: v for k, v in GOOD.items() if k != missing}
    assert client.post("/bank/accounts", json=body, headers=ADMIN).status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("raw", [b"{", b"[]", b"", b'"x"'])
def test_create_account_refuses_a_body_that_is_not_an_object(client, snapshot, raw):
    before = snapshot()
    reply = client.post("/bank/accounts", data=raw, headers={**ADMIN, "Content-Type": "application/json"})
    assert reply.status_code == 400 and "error" in reply.json
    assert snapshot() == before


def test_pin_limits_are_inclusive(client):
    for pin in ("1234", "12345678"):
        assert client.post("/bank/accounts", json={**GOOD, "pin": pin}, headers=ADMIN).status_code == 201
    for balance in (0, 1_000_000_000):
        assert client.post("/bank/accounts", json={**GOOD, "balance": balance}, headers=ADMIN).status_code == 201


@pytest.mark.parametrize("number", ["49999999999999999999", "abc", "12-3"])
def test_get_unknown_account_is_404(client, number):
    reply = client.get(f"/bank/accounts/{number}", headers=ADMIN)
    assert reply.status_code == 404 and reply.json["error"]["code"] in ("unknown_account", "not_found")


@pytest.mark.parametrize("headers, status", [({}, 401), ({"X-Api-Key": "nope"}, 401), (MERCHANT, 403)])
def test_get_account_needs_the_admin_key(client, open_account, headers, status):
    number = open_account()
    assert client.get(f"/bank/accounts/{number}", headers=headers).status_code == status


def test_availability_compares_with_the_spendable_balance(client, open_account, place_hold):
    number = open_account(balance=1_000)
    def ask(amount):
        return client.get(f"/bank/accounts/{number}/availability?amount={amount}", headers=MERCHANT)
    assert ask(1_000).json == {"sufficient": True}
    assert ask(1_001).json == {"sufficient": False}
    place_hold(number, amount=400)
    assert ask(600).json == {"sufficient": True}
    assert ask(601).json == {"sufficient": False}


@pytest.mark.parametrize("query", ["", "?amount=", "?amount=0", "?amount=10000001", "?amount=abc",
                                   "?amount=1.5", "?amount=5&other=1"])
def test_availability_refuses_bad_amounts(client, open_account, query):
    number = open_account()
    reply = client.get(f"/bank/accounts/{number}/availability{query}", headers=MERCHANT)
    assert reply.status_code == 400 and reply.json["error"]["code"] == "invalid_request"


def test_availability_of_unknown_account_is_404(client):
    reply = client.get("/bank/accounts/49999999999999999999/availability?amount=5", headers=MERCHANT)
    assert reply.status_code == 404


@pytest.mark.parametrize("headers, status", [({}, 401), ({"X-Api-Key": "nope"}, 401), (ADMIN, 403)])
def test_availability_needs_the_merchant_key(client, open_account, headers, status):
    number = open_account()
    assert client.get(f"/bank/accounts/{number}/availability?amount=5", headers=headers).status_code == status


def test_wrong_method_is_405_in_the_error_shape(client):
    reply = client.delete("/bank/accounts", headers=ADMIN)
    assert reply.status_code == 405 and reply.json["error"]["code"] == "method_not_allowed"
