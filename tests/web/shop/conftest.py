"""Shop controller tests: the real Flask app (test client) on real PostgreSQL databases of
our own prefix, tokens minted with the suite's keys, revocations in the suite's Redis."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from functools import lru_cache

import pytest
from sqlalchemy import text

from db.base import utcnow
from db.emarket import Order, OrderItem, SagaEvent
from db.engine import get_engine
from db.schema import METADATA
from emarket import catalog
from emarket.storage import unit_of_work
from tests.settings import INTEGRATION_DB_PREFIX
from tests.support.databases import migrated_pg, truncate_all
from tests.support.env import overridden_env, settings_over
from tests.support.shop_pages import ADMIN, OTHER, USER
from tests.support.tokens import bearer, mint

__all__ = ["ADMIN", "OTHER", "USER"]  # the shop tests' users, named here for their modules too


@pytest.fixture(scope="session")
def shop_dbs():
    return migrated_pg(f"{INTEGRATION_DB_PREFIX}_shop")


@pytest.fixture
def dbs(shop_dbs):
    """Our databases, emptied, in force for the whole test (the app, seed helpers, units of work)."""
    with overridden_env({f"EMARKET_DB_{name.upper()}": url for name, url in shop_dbs.items()}):
        truncate_all(shop_dbs)
        yield shop_dbs


@pytest.fixture
def settings_overrides() -> dict:
    """Settings the shop under test is built with beyond the test's: a module or a test
    overrides this fixture (the app is given them; nothing global changes)."""
    return {}


@pytest.fixture
def app(dbs, settings_overrides):
    from web.shop import create_app

    app = create_app(settings_over(**settings_overrides))
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def product(dbs):
    with unit_of_work("emarket") as uow:
        return catalog.create_product(uow, name="Tea <b>bold</b>", description="Green\nleaves", price=1999, count=4)


@pytest.fixture
def order(dbs, product):
    """USER's order of two ``product`` awaiting payment, its phase 1 in the timeline: its id."""
    order_id = str(uuid.uuid4())
    now = utcnow()
    with unit_of_work("emarket") as uow:
        uow.session.add(Order(id=order_id, user_id=USER, status="awaiting_payment", total=3998,
                              payment_deadline=now + timedelta(minutes=5), created_at=now, updated_at=now))
        uow.session.flush()
        uow.session.add(OrderItem(order_id=order_id, product_id=product.id, quantity=2, price=1999))
        for name in ("accepted", "registered", "stock_checked", "awaiting_payment"):
            uow.session.add(SagaEvent(order_id=order_id, name=name, detail="", at=now))
    return order_id


@pytest.fixture
def user_headers():
    return bearer(mint(USER))


@pytest.fixture
def admin_headers():
    return bearer(mint(ADMIN, ["admin"]))


@pytest.fixture
def snapshot(dbs):
    """Every row of every table of the three databases: compare before and after a refusal."""

    def take() -> dict:
        rows = {}
        for name, url in dbs.items():
            with get_engine(url).connect() as conn:
                for table in METADATA[name].sorted_tables:
                    rows[f"{name}.{table.name}"] = sorted(
                        map(repr, conn.execute(text(f'SELECT * FROM "{table.name}"')).all()))
        return rows

    return take


def tampered(token: str) -> str:
    """The same signature over a payload that now claims to be someone else."""
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"], claims["roles"] = "1", ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{signature}"


def unsigned(user_id: int, roles=()) -> str:
    """An ``alg: none`` token: no signature at all."""
    good = mint(user_id, roles)
    claims = json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{body}."


@lru_cache(maxsize=1)
def _stranger_key() -> str:
    """A well-formed RS256 key that is not the auth service's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def bad_tokens(user_id: int = USER, roles=()) -> dict[str, dict]:
    """Every way a token must be refused, as request headers."""
    stranger = _stranger_key()
    return {
        "expired": bearer(mint(user_id, roles, ttl=-60)),
        "tampered": bearer(tampered(mint(user_id, roles))),
        "alg_none": bearer(unsigned(user_id, roles)),
        "other_key": bearer(mint(user_id, roles, key=stranger)),
        "refresh_as_access": bearer(mint(user_id, roles, kind="refresh")),
        "garbage": {"Authorization": "Bearer not.a.token"},
        "hs256": bearer(mint(user_id, roles, key="s" * 64, algorithm="HS256")),
    }


def revoked_token(user_id: int = USER, roles=()) -> dict:
    from web.common import revocation

    token = mint(user_id, roles)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    revocation.revoke(claims["jti"], 900)
    return bearer(token)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    if code:
        assert body["error"]["code"] == code, body
    return body
