"""DB tests run each case on real PostgreSQL, in databases of their own, migrated once."""
from __future__ import annotations

import pytest

from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from tests.settings import INTEGRATION_DB_PREFIX
from tests.support.databases import migrated_pg, truncate_all


@pytest.fixture(scope="session")
def _pg_urls():
    return migrated_pg(f"{INTEGRATION_DB_PREFIX}_db")


@pytest.fixture
def db_urls(_pg_urls):
    truncate_all(_pg_urls)
    yield _pg_urls
    truncate_all(_pg_urls)


@pytest.fixture
def uow_factory(db_urls):
    """``uow_factory("emarket")`` → a fresh unit of work on that test database."""
    return lambda name: UnitOfWork(get_engine(db_urls[name]))


@pytest.fixture
def emarket_pg_url(db_urls):
    """The emarket database's URL, its tables emptied before and after the test."""
    return db_urls["emarket"]
