"""The bank as a real HTTP service (gunicorn in a subprocess): one round trip over the wire."""
from __future__ import annotations

import pytest
import requests

from tests.support.bank_server import BankServer
from tests.web.bank.conftest import _ENV, ADMIN, MERCHANT, MERCHANT_ACCOUNT


@pytest.fixture
def server(app, bank_urls, tmp_path):
    # A subprocess: our settings go to it as its environment (its public URL is its own).
    env = {key: value for key, value in _ENV.items() if key != "EMARKET_BANK_PUBLIC_URL"}
    with BankServer(tmp_path, env={**env, "EMARKET_DB_BANK": bank_urls["bank"]}) as bank:
        yield bank


def test_hold_confirm_and_read_back_over_http(server):
    base = server.url
    account = requests.post(f"{base}/bank/accounts", json={"owner": "Net", "pin": "2468", "balance": 9_000},
                            headers=ADMIN, timeout=5).json()
    hold = requests.post(f"{base}/bank/holds", json={"account": account["number"], "amount": 4_000, "reference": "r"},
                         headers={**MERCHANT, "Idempotency-Key": "net-1"}, timeout=5)
    assert hold.status_code == 201
    assert hold.json()["confirm_url"] == f"{base}/bank/confirm/{hold.json()['id']}"
    assert requests.get(hold.json()["confirm_url"], timeout=5).status_code == 200
    confirmed = requests.post(f"{base}/bank/holds/{hold.json()['id']}/confirm", json={"pin": "2468"}, timeout=5)
    assert (confirmed.status_code, confirmed.json()) == (200, {"status": "captured"})
    def read(number):
        return requests.get(f"{base}/bank/accounts/{number}", headers=ADMIN, timeout=5).json()
    assert (read(account["number"])["balance"], read(account["number"])["held"]) == (5_000, 0)
    assert read(MERCHANT_ACCOUNT)["balance"] == 4_000
    assert requests.get(f"{base}/bank/holds/{hold.json()['id']}", timeout=5).status_code == 401
