"""POST /bank/holds/<id>/confirm: the PIN captures into the merchant account, exactly once."""
from __future__ import annotations

import threading

import pytest

from tests.web.bank.conftest import MERCHANT, MERCHANT_ACCOUNT


def _confirm(client, hold_id, pin="1234"):
    return client.post(f"/bank/holds/{hold_id}/confirm", json={"pin": pin})


def test_right_pin_captures_into_the_merchant_account(client, open_account, place_hold, account_of):
    number = open_account(balance=10_000)
    hold = place_hold(number, amount=2_500)
    reply = _confirm(client, hold["id"])
    assert (reply.status_code, reply.json) == (200, {"status": "captured"})
    assert (account_of(number)["balance"], account_of(number)["held"]) == (7_500, 0)
    assert account_of(MERCHANT_ACCOUNT)["balance"] == 2_500
    assert client.get(f"/bank/holds/{hold['id']}", headers=MERCHANT).json["status"] == "captured"


def test_confirming_again_captures_nothing_more(client, open_account, place_hold, account_of, snapshot):
    number = open_account(balance=10_000)
    hold = place_hold(number, amount=2_500)
    _confirm(client, hold["id"])
    before = snapshot()
    reply = _confirm(client, hold["id"])
    assert (reply.status_code, reply.json) == (200, {"status": "captured"})
    assert snapshot() == before


@pytest.mark.parametrize("pin", ["4321", "12", "abcd", "", "1234 ", "9" * 200])
def test_wrong_pin_is_403_and_nothing_moves(client, open_account, place_hold, snapshot, bank_urls, pin):
    hold = place_hold(open_account())
    before_accounts, _ = snapshot()
    reply = _confirm(client, hold["id"], pin)
    assert reply.status_code == 403 and reply.json["error"]["code"] == "wrong_pin"
    accounts, holds = snapshot()
    assert accounts == before_accounts
    assert [(h.status, h.wrong_pins) for h in holds] == [("pending_confirmation", 1)]


def test_the_fifth_wrong_pin_releases_the_hold(client, open_account, place_hold, account_of):
    number = open_account(balance=10_000)
    hold = place_hold(number, amount=2_500)
    for attempt in range(1, 5):
        reply = _confirm(client, hold["id"], "0000")
        assert reply.status_code == 403 and f"{5 - attempt} attempts left" in reply.json["error"]["message"]
        assert account_of(number)["held"] == 2_500
    reply = _confirm(client, hold["id"], "0000")
    assert reply.status_code == 403 and "released" in reply.json["error"]["message"]
    assert (account_of(number)["balance"], account_of(number)["held"]) == (10_000, 0)
    assert client.get(f"/bank/holds/{hold['id']}", headers=MERCHANT).json["status"] == "released"
    # Even the right PIN is too late now.
    late = _confirm(client, hold["id"])
    assert late.status_code == 409 and late.json["error"]["code"] == "hold_closed"
    assert account_of(MERCHANT_ACCOUNT)["balance"] == 0


@pytest.mark.parametrize("state", ["released", "expired"])
def test_confirming_a_closed_hold_is_409(client, open_account, place_hold, account_of, snapshot, overdue, state):
    number = open_account(balance=10_000)
    hold = place_hold(number)
    if state == "released":
        client.post(f"/bank/holds/{hold['id']}/release", headers=MERCHANT)
    else:
        overdue(hold["id"])
    reply = _confirm(client, hold["id"])
    assert reply.status_code == 409
    assert _confirm(client, hold["id"], "0000").status_code == 409
    assert (account_of(number)["balance"], account_of(number)["held"]) == (10_000, 0)
    assert account_of(MERCHANT_ACCOUNT)["balance"] == 0


@pytest.mark.parametrize("body", [{"pin": 1234}, {"pin": None}, {}, {"pin": "1234", "extra": 1}, []])
def test_confirm_refuses_bad_bodies(client, open_account, place_hold, snapshot, body):
    hold = place_hold(open_account())
    before = snapshot()
    assert client.post(f"/bank/holds/{hold['id']}/confirm", json=body).status_code == 400
    assert snapshot() == before


def test_two_simultaneous_confirmations_capture_once(app, open_account, place_hold, account_of):
    number = open_account(balance=10_000)
    hold = place_hold(number, amount=2_500)
    replies, barrier = [], threading.Barrier(4)

    def confirm():
        barrier.wait()
        replies.append(_confirm(app.test_client(), hold["id"]).status_code)

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert replies == [200] * 4
    assert (account_of(number)["balance"], account_of(number)["held"]) == (7_500, 0)
    assert account_of(MERCHANT_ACCOUNT)["balance"] == 2_500


def test_confirm_racing_release_moves_the_money_one_way_only(app, open_account, place_hold, account_of):
    number = open_account(balance=10_000)
    hold = place_hold(number, amount=2_500)
    barrier = threading.Barrier(2)
    outcome = {}

    def confirm():
        barrier.wait()
        outcome["confirm"] = _confirm(app.test_client(), hold["id"]).status_code

    def release():
        barrier.wait()
        outcome["release"] = app.test_client().post(f"/bank/holds/{hold['id']}/release", headers=MERCHANT).status_code

    threads = [threading.Thread(target=confirm), threading.Thread(target=release)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    merchant = account_of(MERCHANT_ACCOUNT)["balance"]
    holder = account_of(number)
    assert holder["held"] == 0 and holder["balance"] + merchant == 10_000
    if merchant:  # the confirmation won
        assert outcome == {"confirm": 200, "release": 409}
    else:
        assert outcome == {"confirm": 409, "release": 200}
