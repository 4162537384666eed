"""The three services under attack (and under the fuzzer), on databases of their own: the shop,
auth and bank Flask apps (test clients) on real PostgreSQL, Redis and RabbitMQ, with a real
worker for the order saga and the account queue. Shared by tests/security and tests/fuzz."""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import ClassVar

from flask.testing import FlaskClient
from sqlalchemy import BigInteger, Integer, text

from db.engine import get_engine
from db.schema import METADATA
from tests.settings import REDIS_SERVER
from tests.support.broker import ensure_vhost, purge_queues
from tests.support.databases import migrated_pg, truncate_all
from tests.support.env import settings_with
from tests.support.workers import ALL_QUEUES, Worker

BANK_ADMIN = {"X-Api-Key": "sec-bank-admin-key"}
BANK_MERCHANT = {"X-Api-Key": "sec-bank-merchant-key"}
# No money_add: a top-up stays ``initiated`` (no bank is called), so nothing moves behind a test.
WORKER_QUEUES = ("account", "order", "product", "money", "saga")
REDIS_KEYS = ("emarket:login:*", "emarket:revoked:*", "emarket:refresh-rotated:*")


@contextmanager
def stack_env(prefix: str, redis_db: int):
    """Our own databases and Redis db: ``env`` for the worker we start, ``settings`` (the same
    values) for this process, given to the apps and put in force for each test by the suite."""
    ensure_vhost()
    urls = migrated_pg(prefix)
    env = {f"EMARKET_DB_{name.upper()}": url for name, url in urls.items()}
    env.update({
        "EMARKET_REDIS_URL": f"{REDIS_SERVER}/{redis_db}",
        # No order of ours times out while a test looks at it.
        "EMARKET_PAYMENT_TIMEOUT": "3600",
        "EMARKET_BANK_ADMIN_KEY": BANK_ADMIN["X-Api-Key"],
        "EMARKET_BANK_MERCHANT_KEY": BANK_MERCHANT["X-Api-Key"],
        "EMARKET_BANK_MERCHANT_ACCOUNT": "40000000000000000001",
        "EMARKET_BANK_PUBLIC_URL": "http://bank.test:8002",
        "EMARKET_SHOP_PUBLIC_URL": "http://shop.test:8000",
        # The pages' calls to the auth service go nowhere: no form may reach it without CSRF.
        "EMARKET_AUTH_URL": "http://127.0.0.1:9",
    })
    yield {"env": env, "urls": urls, "settings": settings_with(env)}


def wipe(urls: dict) -> None:
    truncate_all(urls)
    from web.common.revocation import client

    redis = client()
    for pattern in REDIS_KEYS:
        keys = list(redis.scan_iter(match=pattern, count=500))
        if keys:
            redis.delete(*keys)


@contextmanager
def sole_worker(celery_app, log_dir, env: dict):
    """Our worker, the only one consuming our queues while it runs: any other worker of this
    virtual host (an earlier suite's, still alive for its session) is asked to stop consuming
    them (Celery's cancel_consumer) and to resume afterwards, so it cannot take our messages
    and run them against its own databases. The queues are emptied before and after: what an
    earlier suite left there is not ours to run, and what we leave is no one else's."""
    others = [name for reply in celery_app.control.ping(timeout=1.0) for name in reply]
    paused = {}
    for name in others:
        active = celery_app.control.inspect(destination=[name], timeout=1.0).active_queues() or {}
        queues = [q["name"] for q in active.get(name, []) if q["name"] in ALL_QUEUES]
        for queue in queues:
            celery_app.control.cancel_consumer(queue, destination=[name], reply=True, timeout=2.0)
        paused[name] = queues
    purge_queues(celery_app, ALL_QUEUES)
    worker = Worker(celery_app, log_dir, queues=WORKER_QUEUES, concurrency=2, env=env).start()
    try:
        yield worker
    finally:
        worker.stop()
        purge_queues(celery_app, ALL_QUEUES)
        for name, queues in paused.items():
            for queue in queues:
                celery_app.control.add_consumer(queue, destination=[name], reply=True, timeout=2.0)


# --- what an attack may not change ----------------------------------------------------------

def snapshot(urls: dict) -> dict:
    """Per table: the row count, the sum of every integer column (money, stock, counters) and
    a digest of all rows, so any insert, update or delete shows."""
    state = {}
    for name, url in urls.items():
        with get_engine(url).connect() as conn:
            for table in METADATA[name].sorted_tables:
                sums = [f'COALESCE(SUM("{c.name}"), 0)' for c in table.columns
                        if isinstance(c.type, (Integer, BigInteger)) and not c.primary_key]
                row = conn.execute(text(
                    f'SELECT COUNT(*), md5(COALESCE(string_agg(t::text, \'|\' ORDER BY t::text), \'\'))'
                    f'{"".join(", " + s for s in sums)} FROM "{table.name}" t')).one()
                state[f"{name}.{table.name}"] = tuple(row)
    return state


# --- what no error body may hold -------------------------------------------------------------

LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|/work/|/usr/|/tmp/|sqlalchemy|psycopg|IntegrityError|OperationalError"
    r"|ProgrammingError|Exception|werkzeug|jinja2", re.IGNORECASE)
SQL = re.compile(r"\bSELECT\b|\bINSERT INTO\b|\bUPDATE \S+ SET\b|\bDELETE FROM\b|\[SQL:|\bWHERE \S+ =")


def leak_in(body: str) -> str | None:
    found = LEAKS.search(body) or SQL.search(body)
    return found.group(0) if found else None


class RecordingClient(FlaskClient):
    """A test client that keeps every error reply, for the leak scan after each test."""

    errors: ClassVar[list] = []  # one list for the whole session: the leak scan reads it

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        if response.status_code >= 400:
            type(self).errors.append((response.status_code, response.request.path,
                                      response.get_data(as_text=True)))
        return response
