"""The three HTTP services' operations endpoints, each a real app on real PostgreSQL (databases of
our own prefix), the real RabbitMQ (our test vhost) and Redis db 8, with saga figures under a
key prefix of this session's own (other test runs on this machine must not move our counts)."""
from __future__ import annotations

import uuid

import pytest

from tests.settings import INTEGRATION_DB_PREFIX, RABBIT_URL, REDIS_SERVER
from tests.support.broker import ensure_vhost
from tests.support.databases import migrated_pg
from tests.support.env import overridden_env, settings_with

REDIS_URL = f"{REDIS_SERVER}/8"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"
CLOSED_PORT_BROKER = "amqp://guest:guest@127.0.0.1:1//"
CLOSED_PORT_DB = "postgresql+psycopg2://postgres@127.0.0.1:1/nothing"
METRICS_PREFIX = f"emarket:test-metrics:{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def ops_dbs():
    ensure_vhost(RABBIT_URL)
    yield migrated_pg(f"{INTEGRATION_DB_PREFIX}_ops")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(*(f"{METRICS_PREFIX}:{name}" for name in ("counters", "step_buckets")))


@pytest.fixture
def ops_env(ops_dbs):
    """Our databases, broker, Redis and metrics prefix, in force for the whole test."""
    env = {f"EMARKET_DB_{name.upper()}": url for name, url in ops_dbs.items()}
    env.update({"EMARKET_BROKER_URL": RABBIT_URL, "EMARKET_REDIS_URL": REDIS_URL,
                "EMARKET_METRICS_PREFIX": METRICS_PREFIX})
    with overridden_env(env) as given:
        yield given


def make_app(service: str, settings=None):
    if service == "shop":
        from web.shop import create_app
    elif service == "auth":
        from web.auth import create_app
    else:
        from web.bank import create_app
    app = create_app(settings)
    app.testing = True
    return app


@pytest.fixture
def client_of(ops_env):
    """``client_of("shop", EMARKET_REDIS_URL=…)``: a test client of that service, built with
    the given settings over the test's (only that app sees them)."""
    def build(service: str, **env):
        given = settings_with(env) if env else None
        return make_app(service, given).test_client()

    return build
