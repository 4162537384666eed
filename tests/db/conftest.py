"""DB tests run each case on real PostgreSQL AND on SQLite (the embedded run's database)."""
from __future__ import annotations

import pytest

from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from tests.settings import INTEGRATION_DB_PREFIX
from tests.support.databases import migrated_pg, migrated_sqlite, truncate_all


@pytest.fixture(scope="session")
def _pg_urls():
    return migrated_pg(f"{INTEGRATION_DB_PREFIX}_db")


@pytest.fixture(scope="session")
def _sqlite_urls(tmp_path_factory):
    return migrated_sqlite(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(params=["postgresql", "sqlite"])
def db_urls(request):
    urls = request.getfixturevalue("_pg_urls" if request.param == "postgresql" else "_sqlite_urls")
    truncate_all(urls)
    yield urls
    truncate_all(urls)


@pytest.fixture
def uow_factory(db_urls):
    """``uow_factory("emarket")`` → a fresh unit of work on that test database."""
    return lambda name: UnitOfWork(get_engine(db_urls[name]))


@pytest.fixture
def emarket_pg_url(_pg_urls):
    """The emarket database's URL on PostgreSQL alone (the concurrency tests: SQLite has no row
    locks to wait on), its tables emptied before and after the test."""
    truncate_all(_pg_urls)
    yield _pg_urls["emarket"]
    truncate_all(_pg_urls)
