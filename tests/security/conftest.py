"""The security suite: every attack against the real shop, auth and bank apps on databases of
our own (prefix ``<EMARKET_TEST_DB_PREFIX>_sec``, Redis db 12). Each test starts from empty databases; after it,
every error reply it received is scanned for stack traces, SQL and file paths."""
from __future__ import annotations

import pytest

from emarket import accounts
from emarket.bank.accounts import ensure_merchant_account
from emarket.config import in_force
from emarket.storage import unit_of_work
from tests.security import stack
from tests.settings import INTEGRATION_DB_PREFIX
from tests.support import seed
from tests.support.tokens import bearer, mint
from tests.support.wait import wait_until

PASSWORD = "correct horse battery"


@pytest.fixture(scope="package")
def sec_env():
    with stack.stack_env(f"{INTEGRATION_DB_PREFIX}_sec", redis_db=12) as env:
        yield env


@pytest.fixture(scope="package")
def sec_worker(sec_env, tmp_path_factory):
    """A real worker for the order saga, started by the first test that needs one."""
    from tasks import app as celery_app

    with stack.sole_worker(celery_app, tmp_path_factory.mktemp("sec-worker"), sec_env["env"]) as worker:
        yield worker


def _app(factory, given):
    app = factory(given)
    app.testing = True
    app.test_client_class = stack.RecordingClient
    return app


@pytest.fixture(scope="package")
def shop_app(sec_env):
    from web.shop import create_app

    return _app(create_app, sec_env["settings"])


@pytest.fixture(scope="package")
def auth_app(sec_env):
    from web.auth import create_app

    return _app(create_app, sec_env["settings"])


@pytest.fixture(scope="package")
def bank_app(sec_env):
    from web.bank import create_app

    return _app(create_app, sec_env["settings"])


@pytest.fixture(autouse=True)
def clean(sec_env):
    """Our settings in force for the test (seed helpers, units of work); empty databases and
    Redis keys before; after, no error reply may leak internals."""
    with in_force(sec_env["settings"]):
        stack.wipe(sec_env["urls"])
        with unit_of_work("bank") as uow:
            ensure_merchant_account(uow)
        stack.RecordingClient.errors.clear()
        yield
    leaks = [(status, path, stack.leak_in(body), body[:300]) for status, path, body in stack.RecordingClient.errors
             if stack.leak_in(body)]
    stack.RecordingClient.errors.clear()
    assert not leaks, leaks


@pytest.fixture
def shop(shop_app):
    return shop_app.test_client()


@pytest.fixture
def auth(auth_app):
    return auth_app.test_client()


@pytest.fixture
def bank(bank_app):
    return bank_app.test_client()


@pytest.fixture
def unchanged(sec_env):
    """``with unchanged():`` — the block may change nothing in any of the three databases."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = stack.snapshot(sec_env["urls"])
        yield
        after = stack.snapshot(sec_env["urls"])
        changed = {table: (before[table], after[table]) for table in before if before[table] != after[table]}
        assert not changed, changed

    return check


@pytest.fixture
def registered():
    """A user with credentials, profile and wallet (made directly, no queue)."""

    def make(email: str = "ann@example.com", roles=()) -> int:
        with unit_of_work("account") as uow:
            user_id = accounts.register_credentials(uow, email, PASSWORD, roles)
            accounts.create_profile(uow, user_id, email, "Ann")
        return user_id

    return make


def as_user(user_id: int, roles=()) -> dict:
    return bearer(mint(user_id, roles))


@pytest.fixture
def ann_order(shop, sec_worker):
    """Ann's order, awaiting payment, placed through the API and the real saga."""
    ann = seed.user(balance=10_000)
    tea = seed.product(count=5, price=300)
    placed = shop.post("/api/orders?wait=20", json={"items": [{"product_id": tea, "quantity": 2}]},
                       headers=as_user(ann))
    assert placed.status_code in (200, 202), placed.get_json()
    order_id = placed.get_json()["id"]
    wait_until(lambda: seed.order(order_id).status == "awaiting_payment", timeout=30,
               what="Ann's order to await payment")
    return ann, order_id
