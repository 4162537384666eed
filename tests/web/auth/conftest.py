"""The auth service under test: a real app on real PostgreSQL, Redis (db 7, ours alone) and
RabbitMQ (our own virtual host, so no other suite's worker takes our ``account`` messages),
with a real ``celery worker`` on the ``account`` queue for registrations."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from db.account import Credential, User, Wallet, WalletEntry
from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from emarket import accounts
from emarket.config import in_force
from tests.settings import INTEGRATION_DB_PREFIX, RABBIT_URL, REDIS_SERVER
from tests.support.broker import ensure_vhost, purge_queues
from tests.support.databases import migrated_pg, truncate_all
from tests.support.env import settings_with
from tests.support.workers import Worker

BROKER_URL = RABBIT_URL + "_auth"  # the suite's vhost (EMARKET_TEST_BROKER), suffixed
REDIS_URL = f"{REDIS_SERVER}/7"
OUR_KEYS = ("emarket:login:*", "emarket:revoked:*", "emarket:refresh-rotated:*")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="package")
def auth_env():
    ensure_vhost(BROKER_URL)
    urls = migrated_pg(f"{INTEGRATION_DB_PREFIX}_auth")
    env = {
        "EMARKET_DB_ACCOUNT": urls["account"], "EMARKET_DB_EMARKET": urls["emarket"],
        "EMARKET_DB_BANK": urls["bank"], "EMARKET_BROKER_URL": BROKER_URL,
        "EMARKET_RESULT_BACKEND": REDIS_URL, "EMARKET_REDIS_URL": REDIS_URL,
    }
    # Given to the app and the worker, and put in force for each test by ``clean``.
    return {"env": env, "urls": urls, "settings": settings_with(env)}


@pytest.fixture(scope="package")
def app(auth_env):
    from web.auth import create_app

    app = create_app(auth_env["settings"])
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="package")
def account_worker(app, auth_env, tmp_path_factory):
    """A real worker consuming only the ``account`` queue of our virtual host."""
    queue_client = app.extensions["emarket_account_queue"]
    purge_queues(queue_client, ["account"])
    worker = Worker(queue_client, tmp_path_factory.mktemp("auth-worker"), queues=("account",),
                    concurrency=1, env=auth_env["env"]).start()
    yield worker
    worker.stop()


def _redis():
    from web.common.revocation import client

    return client()


@pytest.fixture(autouse=True)
def clean(auth_env):
    """Each test runs with our settings in force and starts with an empty account database and
    none of our Redis keys."""
    def wipe():
        truncate_all({"account": auth_env["urls"]["account"]})
        redis = _redis()
        for pattern in OUR_KEYS:
            keys = list(redis.scan_iter(match=pattern, count=500))
            if keys:
                redis.delete(*keys)

    with in_force(auth_env["settings"]):
        wipe()
        yield
        wipe()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def uow(auth_env):
    return lambda: UnitOfWork(get_engine(auth_env["urls"]["account"]))


@pytest.fixture
def db_state(uow):
    """Every row the auth and account services own, to prove an error changed nothing."""
    def snapshot() -> dict:
        with uow() as u:
            return {
                model.__tablename__: sorted(
                    tuple(getattr(row, c.key) for c in model.__table__.columns)
                    for row in u.session.scalars(select(model)))
                for model in (Credential, User, Wallet, WalletEntry)
            }

    return snapshot


@pytest.fixture
def make_user(uow):
    """A registered user with profile and wallet, made directly (no queue): for login tests."""
    def make(email="ann@example.com", password=PASSWORD, roles=()) -> int:
        with uow() as u:
            user_id = accounts.register_credentials(u, email, password, roles)
            accounts.create_profile(u, user_id, email, "Ann")
        return user_id

    return make


@pytest.fixture
def user(make_user) -> int:
    return make_user()


@pytest.fixture
def login(client, user):
    """``login()`` → the token reply of a fresh session of the ``user`` fixture."""
    def do(email="ann@example.com", password=PASSWORD) -> dict:
        response = client.post("/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return do
