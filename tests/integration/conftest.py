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
    """The integration databases, migrated: their URLs."""
    ensure_vhost()
    return migrated_pg(INTEGRATION_DB_PREFIX)


@pytest.fixture(scope="session")
def integration_vars(integration_env) -> dict[str, str]:
    """The integration databases as the environment of the workers we start."""
    return {f"EMARKET_DB_{name.upper()}": url for name, url in integration_env.items()}


@pytest.fixture(autouse=True)
def _integration_settings(request):
    """A test on the integration databases runs with them in force (its apps, seed helpers and
    units of work), and leaves nothing in force for the next test."""
    if "integration_env" not in request.fixturenames:
        yield
        return
    with overridden_env(request.getfixturevalue("integration_vars")):
        yield


@pytest.fixture(scope="session")
def celery_app(integration_env):
    from tasks import app

    purge_queues(app, ALL_QUEUES)
    return app


@pytest.fixture(scope="session")
def worker(celery_app, integration_vars, tmp_path_factory):
    """One real worker consuming all six queues, shared by the session's tests."""
    w = Worker(celery_app, tmp_path_factory.mktemp("worker-logs"), env=integration_vars).start()
    yield w
    w.stop()


@pytest.fixture(scope="session")
def swap_worker(worker, celery_app, integration_vars, tmp_path_factory):
    """``with swap_worker(env) as w:`` — the shared worker steps aside for one started with
    extra environment (a short payment clock, an injected fault), and comes back after."""
    from contextlib import contextmanager

    log_dir = tmp_path_factory.mktemp("swapped-worker-logs")

    @contextmanager
    def _swap(env: dict):
        worker.stop()
        special = Worker(celery_app, log_dir, env={**integration_vars, **env}).start()
        try:
            yield special
        finally:
            special.stop()
            if worker.process.poll() is not None:
                worker.start()

    return _swap
