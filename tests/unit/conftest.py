"""The account database that the unit tests of accounts and of the operator's commands share."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from tests.settings import INTEGRATION_DB_PREFIX
from tests.support.databases import migrated_pg, truncate_all


@pytest.fixture(scope="module")
def account_url() -> str:
    return migrated_pg(f"{INTEGRATION_DB_PREFIX}_auth")["account"]


@pytest.fixture
def uow(account_url: str) -> Iterator[Callable[[], UnitOfWork]]:
    """``with uow() as u:`` — one transaction on a freshly emptied account database."""
    truncate_all({"account": account_url})
    yield lambda: UnitOfWork(get_engine(account_url))
    truncate_all({"account": account_url})
