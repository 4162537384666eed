"""Business rules tested on their own: plain function calls over a unit of work on a real
PostgreSQL database. No broker, no workers."""
from __future__ import annotations

import pytest

from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from tests.settings import INTEGRATION_DB_PREFIX
from tests.support.databases import migrated_pg, truncate_all


@pytest.fixture(scope="session")
def _urls():
    return migrated_pg(f"{INTEGRATION_DB_PREFIX}_unit")


@pytest.fixture
def uow(_urls):
    """``uow("emarket")`` → a fresh unit of work; tables emptied before each test."""
    truncate_all(_urls)
    return lambda name: UnitOfWork(get_engine(_urls[name]))


@pytest.fixture
def make_product(uow):
    from db.emarket import ProductAccounting, ProductDesc

    def _make(count=10, price=100):
        with uow("emarket") as u:
            desc = ProductDesc(name="P", description="")
            u.session.add(desc)
            u.session.flush()
            u.session.add(ProductAccounting(product_id=desc.id, count=count, reserved=0, price=price))
            return desc.id

    return _make


@pytest.fixture
def make_wallet(uow):
    from db.account import User, Wallet

    def _make(user_id=1, balance=1_000):
        with uow("account") as u:
            u.session.add(User(id=user_id, email=f"{user_id}@x.io"))
            u.session.flush()
            u.session.add(Wallet(user_id=user_id, balance=balance))
        return user_id

    return _make
