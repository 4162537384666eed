"""Integration tests: real Celery workers over the real RabbitMQ, results in the real Redis,
state in real PostgreSQL. Nothing of ours is mocked."""
from __future__ import annotations

import pytest

from tests.settings import INTEGRATION_DB_PREFIX
from tests.support.broker import ensure_vhost, purge_queues
from tests.support.databases import migrated_pg
from tests.support.env import overridden_env
from tests.support.workers import ALL_QUEUES, Worker


@pytest.fixture(scope="session")
def integration_env():
    """Point this process (and the workers it starts) at the integration databases."""
    ensure_vhost()
    urls = migrated_pg(INTEGRATION_DB_PREFIX)
    with overridden_env({f"EMARKET_DB_{name.upper()}": url for name, url in urls.items()}):
        yield urls


@pytest.fixture(scope="session")
def celery_app(integration_env):
    from tasks import app

    purge_queues(app, ALL_QUEUES)
    return app


@pytest.fixture(scope="session")
def worker(celery_app, tmp_path_factory):
    """One real worker consuming all six queues, shared by the session's tests."""
    w = Worker(celery_app, tmp_path_factory.mktemp("worker-logs")).start()
    yield w
    w.stop()


@pytest.fixture(scope="session")
def swap_worker(worker, celery_app, tmp_path_factory):
    """``with swap_worker(env) as w:`` — the shared worker steps aside for one started with
    extra environment (a short payment clock, an injected fault), and comes back after."""
    from contextlib import contextmanager

    log_dir = tmp_path_factory.mktemp("swapped-worker-logs")

    @contextmanager
    def _swap(env: dict):
        worker.stop()
        special = Worker(celery_app, log_dir, env=env).start()
        try:
            yield special
        finally:
            special.stop()
            if worker.process.poll() is not None:
                worker.start()

    return _swap
