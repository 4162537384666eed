"""The real stack for browser tests: the shop, the auth service and the bank under gunicorn, a
real worker for every queue over RabbitMQ (its own virtual host), PostgreSQL and Redis."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from kombu import Connection

from tests.settings import INTEGRATION_DB_PREFIX, RABBIT_URL, REDIS_SERVER
from tests.support.app_server import AppServer
from tests.support.bank_server import BankServer
from tests.support.broker import ensure_vhost, purge_queues
from tests.support.databases import migrated_pg
from tests.support.http import free_port
from tests.support.workers import ALL_QUEUES, Worker

PAYMENT_TIMEOUT = 12
# A saga untouched this long counts as stuck (for the operator's console); no beat runs here,
# so only the operator's Resume re-drives one.
STUCK_AFTER = 3
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@dataclass
class Stack:
    shop: AppServer
    auth: AppServer
    bank: BankServer
    worker: Worker
    env: dict
    celery: object
    logs: Path

    def restart_worker_losing(self, queues: tuple[str, ...]) -> None:
        """The worker is already stopped: lose what waits in ``queues`` (a broker that forgot
        its messages), and start a fresh worker — whatever happens, so later tests have one."""
        try:
            # A connection of its own: the app's pooled one may have idled out meanwhile.
            with Connection(self.env["EMARKET_BROKER_URL"], connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=3)
                channel = conn.channel()
                for queue in queues:
                    channel.queue_purge(queue)
        finally:
            self.worker = Worker(self.celery, self.logs, env=self.env).start()

    def emarket(self, *args: str) -> str:
        """Run an operator command against this stack's databases."""
        done = subprocess.run([sys.executable, "-m", "emarket.cli", *args], env={**os.environ, **self.env},
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    # A vhost and databases of this run's own (EMARKET_TEST_BROKER / EMARKET_TEST_DB_PREFIX):
    # two engineers' browser runs on one machine must not share queues or rows.
    broker = RABBIT_URL + "_e2e"
    ensure_vhost(broker)
    urls = migrated_pg(f"{INTEGRATION_DB_PREFIX}_e2e")
    env = {
        "EMARKET_DB_ACCOUNT": urls["account"], "EMARKET_DB_EMARKET": urls["emarket"], "EMARKET_DB_BANK": urls["bank"],
        "EMARKET_BROKER_URL": broker, "EMARKET_RESULT_BACKEND": f"{REDIS_SERVER}/9",
        "EMARKET_REDIS_URL": f"{REDIS_SERVER}/10", "EMARKET_PAYMENT_TIMEOUT": str(PAYMENT_TIMEOUT),
        "EMARKET_SAGA_STUCK_AFTER": str(STUCK_AFTER), "EMARKET_TOPUP_POLL_INTERVAL": "0.5", "EMARKET_TOPUP_POLL_MAX": "1",
    }
    # No Flower runs here: a port nobody listens on, so another engineer's Flower on 5555 cannot
    # tell the console it does not know these tasks (web/shop/flower.py).
    env["EMARKET_FLOWER_PUBLIC_URL"] = f"http://127.0.0.1:{free_port()}"
    logs = tmp_path_factory.mktemp("e2e-logs")
    shop_port = free_port()
    env["EMARKET_SHOP_PUBLIC_URL"] = f"http://127.0.0.1:{shop_port}"  # the bank's link back
    bank = BankServer(logs, env=env).start()
    env.update({"EMARKET_BANK_URL": bank.url, "EMARKET_BANK_PUBLIC_URL": bank.url})
    from celery import Celery

    client = Celery("e2e", broker=broker, backend=env["EMARKET_RESULT_BACKEND"])
    client.config_from_object("celeryconfig")
    client.conf.broker_url, client.conf.result_backend = broker, env["EMARKET_RESULT_BACKEND"]
    purge_queues(client, ALL_QUEUES)
    auth = AppServer("web.auth:create_app()", logs, env=env).start()
    shop = AppServer("web.shop:create_app()", logs, env={**env, "EMARKET_AUTH_URL": auth.url}, port=shop_port).start()
    stack = Stack(shop, auth, bank, None, env, client, logs)
    try:
        stack.worker = Worker(client, logs, env=env).start()
        yield stack
    finally:
        if stack.worker:
            stack.worker.stop()
        shop.stop()
        auth.stop()
        bank.stop()


@pytest.fixture
def operator(stack):
    """A new administrator's email and password (for the admin pages and the saga console)."""
    email, password = f"operator-{uuid.uuid4().hex[:8]}@example.com", "operator-password"
    stack.emarket("users", "create-admin", email, "--password", password)
    return email, password


@pytest.fixture(scope="package")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extras)")
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (.ci/run does)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def screenshots():
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
