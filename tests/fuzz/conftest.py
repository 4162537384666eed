"""API fuzzing with schemathesis: the shop, auth and bank apps (WSGI, in this process) on
databases of our own (prefix ``<EMARKET_TEST_DB_PREFIX>_fuzz``, Redis db 11), with a real worker for the order
saga and the account queue. Every generated request must get no 5xx and a reply that matches
the service's own OpenAPI document; no error reply may hold a stack trace, SQL or a path."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from emarket import accounts
from emarket.bank.accounts import ensure_merchant_account
from emarket.config import in_force
from emarket.storage import unit_of_work
from tests.security import stack
from tests.settings import INTEGRATION_DB_PREFIX
from tests.support import seed

# Per operation and role, on top of schemathesis' coverage phase (boundaries and every kind of
# invalid value): small enough for the suite; raise it for a long run (EMARKET_FUZZ_EXAMPLES=500).
MAX_EXAMPLES = int(os.environ.get("EMARKET_FUZZ_EXAMPLES", "10"))
FUZZ_SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck))
PASSWORD = "correct horse battery"


@schemathesis.check
def no_internals_in_errors(ctx, response, case):
    """docs/api.md: an error never holds a stack trace, SQL or a file path."""
    if response.status_code >= 400:
        leak = stack.leak_in(response.text)
        if leak:
            raise AssertionError(f"the error reply leaks {leak!r}: {response.text[:300]}")


CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance,
          schemathesis.checks.status_code_conformance, schemathesis.checks.content_type_conformance,
          no_internals_in_errors]


@pytest.fixture(scope="package")
def fuzz_env():
    with stack.stack_env(f"{INTEGRATION_DB_PREFIX}_fuzz", redis_db=11) as env:
        with in_force(env["settings"]):
            stack.wipe(env["urls"])
        yield env


@pytest.fixture(autouse=True)
def _fuzz_settings(fuzz_env):
    """Each test runs with our settings in force, and leaves nothing in force for the next."""
    with in_force(fuzz_env["settings"]):
        yield


@pytest.fixture(scope="package")
def fuzz_worker(fuzz_env, tmp_path_factory):
    from tasks import app as celery_app

    with stack.sole_worker(celery_app, tmp_path_factory.mktemp("fuzz-worker"), fuzz_env["env"]) as worker:
        yield worker


@pytest.fixture(scope="package")
def people(fuzz_env):
    """A registered user (with a wallet and money) and an admin, and a few products."""
    ids = {}
    with in_force(fuzz_env["settings"]):
        with unit_of_work("account") as uow:
            for role, email in (("user", "fuzz-user@example.com"), ("admin", "fuzz-admin@example.com")):
                ids[role] = accounts.register_credentials(uow, email, PASSWORD, ["admin"] if role == "admin" else [])
                accounts.create_profile(uow, ids[role], email, role)
        for _ in range(3):
            seed.product(count=100, price=150)
        with unit_of_work("bank") as uow:
            ensure_merchant_account(uow)
    return ids


def _app(factory, given):
    app = factory(given)
    app.testing = True
    return app


@pytest.fixture(scope="package")
def shop_app(fuzz_env, fuzz_worker, people):
    from web.shop import create_app

    return _app(create_app, fuzz_env["settings"])


@pytest.fixture(scope="package")
def auth_app(fuzz_env, fuzz_worker, people):
    from web.auth import create_app

    return _app(create_app, fuzz_env["settings"])


@pytest.fixture(scope="package")
def bank_app(fuzz_env, people):
    from web.bank import create_app

    return _app(create_app, fuzz_env["settings"])


def _schema(path: str, app):
    schema = schemathesis.openapi.from_wsgi(path, app)
    # Wrong methods are one generic 405 handler (tests/web cover it); the time goes to bodies.
    schema.config.phases.coverage.unexpected_methods = set()
    return schema


@pytest.fixture(scope="package")
def shop_schema(shop_app):
    return _schema("/api/openapi.json", shop_app)


@pytest.fixture(scope="package")
def auth_schema(auth_app):
    return _schema("/auth/openapi.json", auth_app)


@pytest.fixture(scope="package")
def bank_schema(bank_app):
    return _schema("/bank/openapi.json", bank_app)
