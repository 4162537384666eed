"""Two copies of one ``money.charge`` (a duplicated message) at the same moment on real
PostgreSQL: one debit, and the second copy retries rather than failing for want of funds.

Found by the chaos run (with the twin of ``product.reserve``): the second copy waited on the
wallet row, then saw the money gone — to the first copy — and failed insufficient_funds; its
compensation refunded the debit while the first copy's chain completed the order."""
from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import func, select

from db.account import User, Wallet, WalletEntry
from db.engine import get_engine
from db.unit_of_work import UnitOfWork
from emarket import wallet
from emarket.errors import InsufficientFunds, TransientError
from tests.db.rows import someone_waits_for_a_lock
from tests.support.databases import truncate_all
from tests.support.wait import wait_until


@pytest.fixture
def pg(_pg_urls):
    truncate_all(_pg_urls)
    yield lambda: UnitOfWork(get_engine(_pg_urls["account"]))
    truncate_all(_pg_urls)


def _user(pg, balance: int) -> int:
    user_id = random.randint(1, 10**9)
    with pg() as uow:
        uow.session.add(User(id=user_id, email=f"{user_id}@example.com"))
        uow.session.flush()
        uow.session.add(Wallet(user_id=user_id, balance=balance))
    return user_id


def test_a_twin_of_charge_retries_instead_of_failing_on_its_own_debit(pg):
    user = _user(pg, balance=500)
    results = {}
    first = pg()
    first.__enter__()
    wallet.charge(first, user, "twin", 500)  # all of it, not committed yet

    def twin():
        try:
            with pg() as uow:
                wallet.charge(uow, user, "twin", 500)
            results["second"] = "charged"
        except Exception as error:  # noqa: BLE001 — what the step's retry policy sees
            results["second"] = type(error).__name__

    thread = threading.Thread(target=twin)
    thread.start()
    wait_until(lambda: someone_waits_for_a_lock(pg), timeout=10, what="the twin to wait for the first's lock")
    first.__exit__(None, None, None)
    thread.join(timeout=10)
    assert results["second"] == TransientError.__name__  # retried by SagaStep, not compensated
    with pg() as uow:
        wallet.charge(uow, user, "twin", 500)  # the retry finds the debit and passes it on
    with pg() as uow:
        assert uow.session.get(Wallet, user).balance == 0
        assert uow.session.scalar(select(func.count()).select_from(WalletEntry)
                                  .where(WalletEntry.order_id == "twin")) == 1


def test_not_enough_money_is_still_insufficient_funds(pg):
    user = _user(pg, balance=499)
    with pytest.raises(InsufficientFunds):
        with pg() as uow:
            wallet.charge(uow, user, "short", 500)
