"""A black-box client of the public HTTP contract (docs/api.md) against both ways of running
emarket: the embedded run (`emarket up`: the pip-shipped PostgreSQL and Redis, gunicorn) and the real
services (gunicorn over PostgreSQL, RabbitMQ and Redis, a real worker for every queue). Only
HTTP and the operator's own commands: nothing of ours is imported to drive or inspect them."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests

from tests.settings import INTEGRATION_DB_PREFIX, RABBIT_URL, REDIS_SERVER
from tests.support.app_server import AppServer
from tests.support.bank_server import BankServer
from tests.support.broker import ensure_vhost
from tests.support.databases import migrated_pg
from tests.support.embedded_run import embedded_run
from tests.support.workers import Worker

PASSWORD = "contract password 1"
TIMEOUT = 30


@dataclass
class System:
    name: str
    urls: dict
    env: dict
    admin: tuple[str, str]
    bank_admin_key: str
    bank_merchant_key: str

    def emarket(self, *args: str) -> str:
        """An operator's command against this system's databases."""
        done = subprocess.run([sys.executable, "-m", "emarket.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def bearer(self, email: str, password: str) -> dict:
        login = requests.post(self.urls["auth"] + "/auth/login", json={"email": email, "password": password},
                              timeout=TIMEOUT)
        assert login.status_code == 200, login.text
        return {"Authorization": "Bearer " + login.json()["access_token"]}

    def shopper(self, balance: int = 0) -> dict:
        """A new registered user (with ``balance`` credited by the operator): their headers."""
        email = f"shopper-{uuid.uuid4().hex[:12]}@example.com"
        registered = requests.post(self.urls["auth"] + "/auth/register", json={"email": email, "password": PASSWORD},
                                   timeout=TIMEOUT)
        assert registered.status_code == 201, registered.text
        if balance:
            self.emarket("wallet", "credit", email, str(balance))
        return self.bearer(email, PASSWORD)

    def admin_headers(self) -> dict:
        return self.bearer(*self.admin)


@contextmanager
def _real_system(tmp_path):
    broker = RABBIT_URL + "_contract"
    ensure_vhost(broker)
    urls = migrated_pg(f"{INTEGRATION_DB_PREFIX}_contract")
    env = {**os.environ,
           "EMARKET_DB_ACCOUNT": urls["account"], "EMARKET_DB_EMARKET": urls["emarket"], "EMARKET_DB_BANK": urls["bank"],
           "EMARKET_BROKER_URL": broker, "EMARKET_RESULT_BACKEND": f"{REDIS_SERVER}/13",
           "EMARKET_REDIS_URL": f"{REDIS_SERVER}/14", "EMARKET_PAYMENT_TIMEOUT": "3600",
           "EMARKET_BANK_ADMIN_KEY": "contract-admin-key", "EMARKET_BANK_MERCHANT_KEY": "contract-merchant-key"}
    from celery import Celery

    client = Celery("contract", broker=broker, backend=env["EMARKET_RESULT_BACKEND"])
    client.config_from_object("celeryconfig")
    client.conf.broker_url, client.conf.result_backend = broker, env["EMARKET_RESULT_BACKEND"]
    servers = []
    try:
        auth = AppServer("web.auth:create_app()", tmp_path, env=env)
        servers.append(auth.start())
        shop = AppServer("web.shop:create_app()", tmp_path, env={**env, "EMARKET_AUTH_URL": auth.url})
        servers.append(shop.start())
        bank = BankServer(tmp_path, env=env)
        servers.append(bank.start())
        worker = Worker(client, tmp_path, env={**env, "EMARKET_BANK_URL": bank.url})
        servers.append(worker.start())
        system = System("real", {"shop": shop.url, "auth": auth.url, "bank": bank.url}, env,
                        (f"admin-{uuid.uuid4().hex[:8]}@example.com", PASSWORD),
                        env["EMARKET_BANK_ADMIN_KEY"], env["EMARKET_BANK_MERCHANT_KEY"])
        system.emarket("users", "create-admin", system.admin[0], "--password", PASSWORD)
        yield system
    finally:
        for server in reversed(servers):
            server.stop()


@contextmanager
def _embedded_system(tmp_path):
    from emarket import demo

    with embedded_run(tmp_path) as (urls, _process, env):
        yield System("embedded", urls, env, demo.ADMIN, "dev-admin-key", "dev-merchant-key")


@pytest.fixture(scope="package", params=["embedded", "real"])
def system(request, tmp_path_factory):
    run = _embedded_system if request.param == "embedded" else _real_system
    with run(tmp_path_factory.mktemp(f"contract-{request.param}")) as started:
        yield started
