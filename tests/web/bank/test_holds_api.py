"""POST/GET /bank/holds, Idempotency-Key, release, and lazy expiry."""
from __future__ import annotations

import pytest

from tests.web.bank.conftest import ADMIN, MERCHANT, MERCHANT_ACCOUNT

HOLD = {"amount": 2_500, "reference": "topup-1"}


def test_hold_moves_the_amount_from_balance_to_held(client, open_account, account_of):
    number = open_account(balance=10_000)
    reply = client.post("/bank/holds", json={"account": number, **HOLD}, headers=MERCHANT)
    assert reply.status_code == 201
    body = reply.json
    assert body["status"] == "pending_confirmation" and body["amount"] == 2_500
    assert body["account"] == number and body["reference"] == "topup-1" and body["currency"] == "USD"
    assert body["confirm_url"] == f"http://bank.test:8002/bank/confirm/{body['id']}"
    assert account_of(number)["balance"] == 7_500 and account_of(number)["held"] == 2_500
    assert client.get(f"/bank/holds/{body['id']}", headers=MERCHANT).json == body


def test_insufficient_funds_is_409_and_nothing_moves(client, open_account, snapshot):
    number = open_account(balance=2_499)
    before = snapshot()
    reply = client.post("/bank/holds", json={"account": number, **HOLD}, headers=MERCHANT)
    assert reply.status_code == 409 and reply.json["error"]["code"] == "insufficient_funds"
    assert snapshot() == before


def test_hold_on_unknown_account_is_404(client, snapshot):
    before = snapshot()
    reply = client.post("/bank/holds", json={"account": "49999999999999999999", **HOLD}, headers=MERCHANT)
    assert reply.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("change", [
    {"amount": 0}, {"amount": 10_000_001}, {"amount": "5"}, {"amount": 5.0}, {"amount": True}, {"amount": None},
    {"reference": ""}, {"reference": "r" * 101}, {"reference": 5}, {"account": "abc"}, {"account": 4000},
    {"extra": "x"},
])
def test_hold_refuses_bad_input(client, open_account, snapshot, change):
    number = open_account()
    before = snapshot()
    reply = client.post("/bank/holds", json={"account": number, **HOLD, **change}, headers=MERCHANT)
    assert reply.status_code == 400 and reply.json["error"]["code"] == "invalid_request"
    assert snapshot() == before


def test_hold_amount_limits_are_inclusive(client, open_account, place_hold):
    number = open_account(balance=20_000_000)
    assert place_hold(number, amount=1)["amount"] == 1
    assert place_hold(number, amount=10_000_000)["amount"] == 10_000_000


@pytest.mark.parametrize("headers, status", [({}, 401), ({"X-Api-Key": "nope"}, 401), (ADMIN, 403)])
def test_hold_needs_the_merchant_key(client, open_account, snapshot, headers, status):
    number = open_account()
    before = snapshot()
    assert client.post("/bank/holds", json={"account": number, **HOLD}, headers=headers).status_code == status
    assert snapshot() == before


def test_same_idempotency_key_and_body_returns_the_first_reply(client, open_account, account_of, snapshot):
    number = open_account(balance=10_000)
    headers = {**MERCHANT, "Idempotency-Key": "topup-abc"}
    first = client.post("/bank/holds", json={"account": number, **HOLD}, headers=headers)
    before = snapshot()
    again = client.post("/bank/holds", json={"account": number, **HOLD}, headers=headers)
    assert (again.status_code, again.json) == (first.status_code, first.json) == (201, first.json)
    assert snapshot() == before
    assert account_of(number)["held"] == 2_500


def test_idempotent_replay_after_capture_still_answers_as_the_first_time(client, open_account, place_hold):
    number = open_account()
    first = place_hold(number, key="k-1")
    assert client.post(f"/bank/holds/{first['id']}/confirm", json={"pin": "1234"}).status_code == 200
    assert place_hold(number, key="k-1") == first


def test_same_idempotency_key_with_another_body_is_422(client, open_account, place_hold, snapshot):
    number = open_account()
    place_hold(number, key="k-1")
    before = snapshot()
    reply = client.post("/bank/holds", json={"account": number, "amount": 2_501, "reference": "topup-1"},
                        headers={**MERCHANT, "Idempotency-Key": "k-1"})
    assert reply.status_code == 422 and reply.json["error"]["code"] == "idempotency_key_reused"
    assert snapshot() == before


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_idempotency_key_limits(client, open_account, snapshot, key):
    number = open_account()
    before = snapshot()
    reply = client.post("/bank/holds", json={"account": number, **HOLD}, headers={**MERCHANT, "Idempotency-Key": key})
    assert reply.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("hold_id", ["3f1c1c7e-0000-4000-8000-000000000000", "not-a-uuid"])
def test_unknown_hold_is_404_everywhere(client, snapshot, hold_id):
    before = snapshot()
    assert client.get(f"/bank/holds/{hold_id}", headers=MERCHANT).status_code == 404
    assert client.post(f"/bank/holds/{hold_id}/confirm", json={"pin": "1234"}).status_code == 404
    assert client.post(f"/bank/holds/{hold_id}/release", headers=MERCHANT).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("headers, status", [({}, 401), ({"X-Api-Key": "nope"}, 401), (ADMIN, 403)])
def test_get_and_release_need_the_merchant_key(client, open_account, place_hold, snapshot, headers, status):
    hold = place_hold(open_account())
    before = snapshot()
    assert client.get(f"/bank/holds/{hold['id']}", headers=headers).status_code == status
    assert client.post(f"/bank/holds/{hold['id']}/release", headers=headers).status_code == status
    assert snapshot() == before


def test_release_returns_the_amount_and_is_idempotent(client, open_account, place_hold, account_of):
    number = open_account(balance=10_000)
    hold = place_hold(number)
    for body in (None, {}):  # bodiless or {}; the second release is a harmless repeat
        reply = client.post(f"/bank/holds/{hold['id']}/release", json=body, headers=MERCHANT)
        assert (reply.status_code, reply.json) == (200, {"status": "released"})
        assert account_of(number) | {"owner": None} == {"number": number, "owner": None, "balance": 10_000,
                                                        "held": 0, "currency": "USD"}
    assert client.get(f"/bank/holds/{hold['id']}", headers=MERCHANT).json["status"] == "released"


def test_release_refuses_a_body_with_fields(client, open_account, place_hold, snapshot):
    hold = place_hold(open_account())
    before = snapshot()
    assert client.post(f"/bank/holds/{hold['id']}/release", json={"x": 1}, headers=MERCHANT).status_code == 400
    assert snapshot() == before


def test_release_of_a_captured_hold_is_409(client, open_account, place_hold, snapshot, account_of):
    number = open_account()
    hold = place_hold(number)
    client.post(f"/bank/holds/{hold['id']}/confirm", json={"pin": "1234"})
    before = snapshot()
    reply = client.post(f"/bank/holds/{hold['id']}/release", headers=MERCHANT)
    assert reply.status_code == 409 and reply.json["error"]["code"] == "hold_captured"
    assert snapshot() == before
    assert account_of(MERCHANT_ACCOUNT)["balance"] == 2_500


def test_an_overdue_hold_expires_when_read_and_its_amount_returns(client, open_account, place_hold, account_of,
                                                                 overdue):
    number = open_account(balance=10_000)
    hold = place_hold(number)
    overdue(hold["id"])
    assert client.get(f"/bank/holds/{hold['id']}", headers=MERCHANT).json["status"] == "expired"
    assert (account_of(number)["balance"], account_of(number)["held"]) == (10_000, 0)
    # Releasing an expired hold changes nothing more: its amount is already back.
    reply = client.post(f"/bank/holds/{hold['id']}/release", headers=MERCHANT)
    assert (reply.status_code, reply.json) == (200, {"status": "expired"})
    assert account_of(number)["balance"] == 10_000


def test_expire_overdue_holds_sweeps_only_overdue_ones(app, open_account, place_hold, account_of, overdue):
    from emarket.bank import holds
    from emarket.storage import unit_of_work

    number = open_account(balance=10_000)
    late, fresh = place_hold(number, amount=1_000), place_hold(number, amount=2_000)
    overdue(late["id"])
    with unit_of_work("bank") as uow:
        assert holds.expire_overdue_holds(uow) == 1
    with unit_of_work("bank") as uow:
        assert holds.expire_overdue_holds(uow) == 0
        assert holds.get_hold(uow, late["id"]).status == "expired"
        assert holds.get_hold(uow, fresh["id"]).status == "pending_confirmation"
    assert (account_of(number)["balance"], account_of(number)["held"]) == (8_000, 2_000)


def test_cli_opens_accounts_and_expires_holds(app, place_hold, account_of, overdue):
    from click.testing import CliRunner

    from emarket.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["bank", "create-account", "--owner", "Cli", "--pin", "9876", "--balance", "5000"])
    assert result.exit_code == 0, result.output
    number = result.output.strip()
    assert account_of(number)["balance"] == 5_000
    hold = place_hold(number, amount=500)
    overdue(hold["id"])
    result = runner.invoke(main, ["bank", "expire-holds"])
    assert result.exit_code == 0 and "expired 1" in result.output
    assert account_of(number)["balance"] == 5_000
    bad = runner.invoke(main, ["bank", "create-account", "--owner", "Cli", "--pin", "12"])
    assert bad.exit_code != 0
