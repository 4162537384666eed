"""Bank controller tests: the Flask test client on the bank's own real PostgreSQL database."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from db import migrate
from db.engine import dispose_all, get_engine
from emarket.config import in_force
from tests.settings import pg_url
from tests.support.databases import ensure_pg_database, truncate_all
from tests.support.env import settings_with

ADMIN = {"X-Api-Key": "test-bank-admin-key"}
MERCHANT = {"X-Api-Key": "test-bank-merchant-key"}
MERCHANT_ACCOUNT = "40000000000000000001"
PIN = "1234"
_ENV = {
    "EMARKET_BANK_ADMIN_KEY": ADMIN["X-Api-Key"],
    "EMARKET_BANK_MERCHANT_KEY": MERCHANT["X-Api-Key"],
    "EMARKET_BANK_MERCHANT_ACCOUNT": MERCHANT_ACCOUNT,
    "EMARKET_BANK_PUBLIC_URL": "http://bank.test:8002",
    "EMARKET_SHOP_PUBLIC_URL": "http://shop.test:8000",
    "EMARKET_CURRENCY": "USD",
}


@pytest.fixture(scope="session")
def bank_urls():
    # A database of this session's own, dropped at the end: other test sessions run on this
    # machine at the same time, and their truncations must never hit our rows mid-test.
    name = f"emarket_banktest_{uuid.uuid4().hex[:8]}_bank"
    urls = {"bank": ensure_pg_database(name)}
    migrate.upgrade("bank", urls["bank"])
    yield urls
    dispose_all()
    with create_engine(pg_url("postgres"), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def bank_settings(bank_urls):
    """The bank's settings under test: given to each test's app, and in force for each test."""
    return settings_with({**_ENV, "EMARKET_DB_BANK": bank_urls["bank"]})


@pytest.fixture(autouse=True)
def _bank_settings_in_force(bank_settings):
    with in_force(bank_settings):
        yield


@pytest.fixture
def app(bank_urls, bank_settings):
    truncate_all({"bank": bank_urls["bank"]})
    from web.bank import create_app

    app = create_app(bank_settings)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def open_account(client):
    def _open(balance: int = 10_000, pin: str = PIN, owner: str = "Ann") -> str:
        reply = client.post("/bank/accounts", json={"owner": owner, "pin": pin, "balance": balance}, headers=ADMIN)
        assert reply.status_code == 201, reply.json
        return reply.json["number"]

    return _open


@pytest.fixture
def place_hold(client):
    def _hold(account: str, amount: int = 2_500, reference: str = "topup-1", key: str | None = None) -> dict:
        headers = {**MERCHANT, **({"Idempotency-Key": key} if key else {})}
        reply = client.post("/bank/holds", json={"account": account, "amount": amount, "reference": reference},
                            headers=headers)
        assert reply.status_code == 201, reply.json
        return reply.json

    return _hold


@pytest.fixture
def snapshot(bank_urls):
    """Every row of the bank, to assert that a refused request changed nothing."""

    def _snap():
        with get_engine(bank_urls["bank"]).connect() as conn:
            accounts = conn.execute(text("SELECT number, balance, held FROM bank_account ORDER BY number")).all()
            holds = conn.execute(text("SELECT id, status, amount, wrong_pins, updated_at FROM bank_hold ORDER BY id")).all()
        return accounts, holds

    return _snap


@pytest.fixture
def account_of(client):
    def _get(number: str) -> dict:
        reply = client.get(f"/bank/accounts/{number}", headers=ADMIN)
        assert reply.status_code == 200, reply.json
        return reply.json

    return _get


@pytest.fixture
def overdue(bank_urls):
    """Backdate a hold's deadline, as if its 15 minutes had passed."""

    def _overdue(hold_id: str) -> None:
        with get_engine(bank_urls["bank"]).begin() as conn:
            conn.execute(text("UPDATE bank_hold SET expires_at = now() - interval '1 second' WHERE id = :id"),
                         {"id": hold_id})

    return _overdue
