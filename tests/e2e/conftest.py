"""The real stack for browser tests: the shop and the auth service under gunicorn, a real
worker for every queue over RabbitMQ (its own virtual host), PostgreSQL and Redis."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.settings import INTEGRATION_DB_PREFIX, REDIS_SERVER, RABBIT_URL
from tests.support.app_server import AppServer
from tests.support.broker import ensure_vhost, purge_queues
from tests.support.databases import migrated_pg
from tests.support.workers import ALL_QUEUES, Worker

PAYMENT_TIMEOUT = 12
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@dataclass
class Stack:
    shop: AppServer
    auth: AppServer
    worker: Worker
    env: dict

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
    }
    logs = tmp_path_factory.mktemp("e2e-logs")
    from celery import Celery

    client = Celery("e2e", broker=broker, backend=env["EMARKET_RESULT_BACKEND"])
    client.config_from_object("celeryconfig")
    client.conf.broker_url, client.conf.result_backend = broker, env["EMARKET_RESULT_BACKEND"]
    purge_queues(client, ALL_QUEUES)
    auth = AppServer("web.auth:create_app()", logs, env=env).start()
    shop = AppServer("web.shop:create_app()", logs, env={**env, "EMARKET_AUTH_URL": auth.url}).start()
    worker = Worker(client, logs, env=env).start()
    try:
        yield Stack(shop, auth, worker, env)
    finally:
        worker.stop()
        shop.stop()
        auth.stop()


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
