"""The unit of work commits on success, rolls back on any exception, and runs after-commit
callbacks only once the commit held."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.emarket import ProductDesc


def _count(uow_factory):
    with uow_factory("emarket") as uow:
        return uow.session.scalar(select(func.count()).select_from(ProductDesc))


def test_commits_on_success_and_runs_after_commit(uow_factory):
    ran = []
    with uow_factory("emarket") as uow:
        uow.session.add(ProductDesc(name="Tea", description=""))
        uow.after_commit(lambda: ran.append(_count(uow_factory)))
    assert _count(uow_factory) == 1
    assert ran == [1], "the callback runs after the commit and sees the row"


def test_rolls_back_on_exception_and_skips_callbacks(uow_factory):
    ran = []
    with pytest.raises(RuntimeError):
        with uow_factory("emarket") as uow:
            uow.session.add(ProductDesc(name="Tea", description=""))
            uow.after_commit(lambda: ran.append(True))
            raise RuntimeError("boom")
    assert _count(uow_factory) == 0
    assert ran == []


def test_session_is_closed_after_the_block(uow_factory):
    unit = uow_factory("emarket")
    with unit as uow:
        session = uow.session
    with pytest.raises(RuntimeError, match="not open"):
        unit.session  # noqa: B018 — the property itself refuses: no session outside the block
    assert not session.in_transaction()
