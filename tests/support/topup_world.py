"""The world of the top-up integration tests: the bank as a real HTTP service, a real
``money_add`` worker, and databases and a broker virtual host of their own; plus the probes
that read money in it. Used by ``tests/integration/test_topup.py``."""
from __future__ import annotations

import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from celeryconfig import QUEUES
from db.account import User, Wallet
from db.engine import dispose_all, get_engine
from db.unit_of_work import UnitOfWork
from tests.settings import INTEGRATION_DB_PREFIX, RABBIT_URL, pg_url
from tests.support.bank_server import BankServer
from tests.support.broker import ensure_vhost, purge_queues
from tests.support.databases import migrated_pg, truncate_all
from tests.support.tokens import bearer, mint
from tests.support.wait import wait_until
from tests.support.workers import Worker

ADMIN = {"X-Api-Key": "topup-test-admin"}
MERCHANT = {"X-Api-Key": "topup-test-merchant"}
MERCHANT_ACCOUNT = "40000000000000000009"
PIN = "2580"
BANK_ENV = {"EMARKET_BANK_ADMIN_KEY": ADMIN["X-Api-Key"], "EMARKET_BANK_MERCHANT_KEY": MERCHANT["X-Api-Key"],
            "EMARKET_BANK_MERCHANT_ACCOUNT": MERCHANT_ACCOUNT}


@dataclass
class Stack:
    bank: BankServer
    worker: Worker
    bank_env: dict
    worker_env: dict
    logs: Path
    bank_db: str
    account_db: str
    celery: object
    world_env: dict  # the settings of this process while a test runs in this world

    def restart_bank(self, **extra_env) -> None:
        """Same port (the workers keep their URL), possibly another configuration."""
        self.bank.stop()
        self.bank = BankServer(self.logs, env={**self.bank_env, **extra_env}, port=self.bank.port).start()


@contextmanager
def private_world(celery_app):
    """Databases and a broker virtual host of this module's own, dropped afterwards: other test
    sessions run on this machine at the same time, and their workers (which consume money_add
    with another bank URL) or their truncations must never see this module's top-ups."""
    name = f"{INTEGRATION_DB_PREFIX}_topup"
    urls = migrated_pg(name)
    truncate_all(urls)
    # A vhost of this run's own (named after EMARKET_TEST_BROKER's), emptied, never deleted:
    # deleting a vhost that held quorum queues wedged RabbitMQ 3.10's vhost operations here.
    broker = RABBIT_URL + "_topup"
    ensure_vhost(broker)
    env = {"EMARKET_DB_ACCOUNT": urls["account"], "EMARKET_DB_EMARKET": urls["emarket"],
           "EMARKET_DB_BANK": urls["bank"], "EMARKET_BROKER_URL": broker}
    # This process's settings are left alone: the tests put ``env`` in force (Stack.world_env);
    # the bank and the worker get it as their environment.
    shared_broker = celery_app.conf.broker_url  # read (and the lazy config loaded) before we switch
    _switch_broker(celery_app, broker)  # what the shop's API publishes goes to our vhost too
    purge_queues(celery_app, QUEUES)  # nothing an earlier run left in the kept vhost
    try:
        yield urls, env
    finally:
        _switch_broker(celery_app, shared_broker)
        dispose_all()
        with create_engine(pg_url("postgres"), isolation_level="AUTOCOMMIT").connect() as conn:
            for url in urls.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def _switch_broker(celery_app, url: str) -> None:
    # kombu keeps one connection pool per broker URL; forgetting the app's cached handles makes
    # it pick the pool of the new URL (the old one stays open for whoever switches back).
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def topup_stack(celery_app, logs: Path):
    """The bank on a free port and one worker on ``money_add`` pointed at it, polling fast."""
    with private_world(celery_app) as (urls, env):
        bank_env = {**env, **BANK_ENV}
        bank = BankServer(logs, env=bank_env).start()
        worker_env = {
            **env, **BANK_ENV, "EMARKET_BANK_URL": bank.url, "EMARKET_BANK_TIMEOUT": "2",
            "EMARKET_TOPUP_POLL_INTERVAL": "0.2", "EMARKET_TOPUP_POLL_MAX": "1",
            # The sweep resumes anything idle at once and treats a hold as overdue after 1 s: the
            # tests send the sweep themselves (no beat runs here), so only they see it act.
            "EMARKET_TOPUP_SWEEP_AFTER": "0", "EMARKET_BANK_HOLD_TTL": "1",
        }
        stack = Stack(bank, None, bank_env, worker_env, logs, urls["bank"], urls["account"], celery_app, env)
        try:
            stack.worker = Worker(celery_app, logs, queues=("money_add",), env=worker_env).start()
            yield stack
        finally:
            if stack.worker:
                stack.worker.stop()
            stack.bank.stop()


@dataclass
class Customer:
    user_id: int
    headers: dict
    bank_account: str


def new_customer(stack: Stack, bank_balance: int = 10_000) -> Customer:
    """A shop user with an empty e-wallet (rows written directly, as the account service would)
    and a bank account with the PIN ``PIN``."""
    user_id = random.randint(10**9, 2 * 10**9)
    with UnitOfWork(get_engine(stack.account_db)) as uow:
        uow.session.add(User(id=user_id, email=f"topup-{uuid.uuid4().hex[:12]}@example.com"))
        uow.session.flush()
        uow.session.add(Wallet(user_id=user_id, balance=0))
    reply = requests.post(f"{stack.bank.url}/bank/accounts", headers=ADMIN, timeout=5,
                          json={"owner": f"user {user_id}", "pin": PIN, "balance": bank_balance})
    assert reply.status_code == 201, reply.text
    return Customer(user_id, bearer(mint(user_id)), reply.json()["number"])


# --- reading the world -------------------------------------------------------------------------

def bank_account(stack, number: str) -> dict:
    return requests.get(f"{stack.bank.url}/bank/accounts/{number}", headers=ADMIN, timeout=5).json()


def wallet(stack, user_id: int) -> tuple[int, int, int]:
    """(balance, number of top-up ledger rows)."""
    with get_engine(stack.account_db).connect() as conn:
        balance = conn.execute(text("SELECT balance FROM e_wallet WHERE user_id = :u"), {"u": user_id}).scalar_one()
        entries = conn.execute(text("SELECT count(*) FROM wallet_entry WHERE user_id = :u AND kind = 'topup'"),
                               {"u": user_id}).scalar()
    return balance, entries


def money(stack) -> dict:
    with get_engine(stack.bank_db).connect() as conn:
        clients = conn.execute(text("SELECT coalesce(sum(balance + held), 0) FROM bank_account WHERE number <> :m"),
                               {"m": MERCHANT_ACCOUNT}).scalar()
        merchant = conn.execute(text("SELECT coalesce(sum(balance + held), 0) FROM bank_account WHERE number = :m"),
                                {"m": MERCHANT_ACCOUNT}).scalar()
    with get_engine(stack.account_db).connect() as conn:
        wallets = conn.execute(text("SELECT coalesce(sum(balance), 0) FROM e_wallet")).scalar()
    return {"conserved": clients + wallets, "bank": clients + merchant, "merchant": merchant, "wallets": wallets}


@contextmanager
def money_conserved(stack, reaches_wallets: int = 0):
    before = money(stack)
    yield
    after = money(stack)
    assert after["conserved"] == before["conserved"]
    assert after["bank"] == before["bank"]
    assert after["wallets"] - before["wallets"] == reaches_wallets == after["merchant"] - before["merchant"]


def start_topup(shop, who: Customer, amount: int, key: str | None = None) -> dict:
    headers = {**who.headers, "Idempotency-Key": key or uuid.uuid4().hex}
    reply = shop.post("/api/wallet/topups", json={"amount": amount, "bank_account": who.bank_account}, headers=headers)
    assert reply.status_code == 202, reply.json
    assert reply.headers["Location"] == f"/api/wallet/topups/{reply.json['id']}"
    return reply.json


def topup_status(shop, who: Customer, topup_id: str) -> dict:
    reply = shop.get(f"/api/wallet/topups/{topup_id}", headers=who.headers)
    assert reply.status_code == 200, reply.json
    return reply.json


def wait_status(shop, who, topup_id, status, timeout=30.0) -> dict:
    return wait_until(lambda: (view := topup_status(shop, who, topup_id))["status"] == status and view,
                      timeout=timeout, what=f"top-up {topup_id} to be {status}")


def hold_id_of(view: dict) -> str:
    return view["confirm_url"].rsplit("/", 1)[1]


def confirm(stack, view: dict, pin: str = PIN) -> requests.Response:
    return requests.post(f"{stack.bank.url}/bank/holds/{hold_id_of(view)}/confirm", json={"pin": pin}, timeout=5)


def bank_hold(stack, hold_id: str) -> dict:
    return requests.get(f"{stack.bank.url}/bank/holds/{hold_id}", headers=MERCHANT, timeout=5).json()


def captured_but_not_credited(stack, who: Customer, amount: int) -> str:
    """A top-up whose money really left the bank account but whose credit never ran: what a
    worker killed between the capture and the credit leaves behind."""
    topup_id = str(uuid.uuid4())
    hold = requests.post(f"{stack.bank.url}/bank/holds", headers={**MERCHANT, "Idempotency-Key": topup_id},
                         json={"account": who.bank_account, "amount": amount, "reference": f"emarket top-up {topup_id}"},
                         timeout=5).json()
    assert confirm(stack, hold).status_code == 200
    with get_engine(stack.account_db).begin() as conn:
        conn.execute(text("INSERT INTO topup (id, user_id, amount, bank_account, status, hold_id, confirm_url, "
                          "created_at, updated_at) VALUES (:id, :u, :a, :b, 'captured', :h, :c, now(), now())"),
                     {"id": topup_id, "u": who.user_id, "a": amount, "b": who.bank_account, "h": hold["id"],
                      "c": hold["confirm_url"]})
    return topup_id


