"""The accounts' business rules on a real PostgreSQL database: credentials, logins, the
idempotent profile + e-wallet, admins and operator adjustments."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from db.account import Credential, User, Wallet, WalletEntry
from emarket import accounts
from emarket.errors import Conflict, DomainError, NotFound

# ``uow`` and ``account_url``: tests/unit/conftest.py.


def count(uow, model) -> int:
    with uow() as u:
        return u.session.scalar(select(func.count()).select_from(model))


def register(uow, email="ann@example.com", password="correct horse", roles=()) -> int:
    with uow() as u:
        return accounts.register_credentials(u, email, password, roles)


def test_register_normalises_the_email_and_hashes_with_argon2(uow):
    user_id = register(uow, email="  Ann@Example.COM ")
    with uow() as u:
        credential = u.session.get(Credential, user_id)
    assert credential.email == "ann@example.com"
    assert credential.password_hash.startswith("$argon2id$")
    assert "correct horse" not in credential.password_hash
    assert credential.roles == []


def test_an_email_taken_in_any_case_is_a_conflict_and_adds_nothing(uow):
    register(uow)
    with pytest.raises(Conflict) as error, uow() as u:
        accounts.register_credentials(u, "ANN@example.com", "another password")
    assert error.value.reason == "email_taken"
    assert count(uow, Credential) == 1


def test_login_answers_the_identity_only_for_the_right_password(uow):
    user_id = register(uow, roles=["admin"])
    with uow() as u:
        assert accounts.verify_login(u, "ANN@example.com", "correct horse") == accounts.Identity(
            user_id, "ann@example.com", ["admin"])
        assert accounts.verify_login(u, "ann@example.com", "wrong horse") is None
        assert accounts.verify_login(u, "nobody@example.com", "correct horse") is None
        assert accounts.verify_login(u, "not an email" * 1000, "x") is None
        assert accounts.verify_login(u, "ann@example.com\x00", "correct horse") is None


def test_identity_of_an_unknown_user_is_not_found(uow):
    user_id = register(uow)
    with uow() as u:
        assert accounts.identity_of(u, user_id).email == "ann@example.com"
        with pytest.raises(NotFound):
            accounts.identity_of(u, user_id + 1000)


def test_create_profile_makes_one_user_and_one_empty_wallet_however_often(uow):
    user_id = register(uow)
    for _ in range(2):
        with uow() as u:
            reply = accounts.create_profile(u, user_id, "Ann@Example.com", "Ann")
        assert reply == {"id": user_id, "email": "ann@example.com", "name": "Ann"}
    with uow() as u:
        # A later delivery with another name keeps the first one's.
        assert accounts.create_profile(u, user_id, "ann@example.com", "Other")["name"] == "Ann"
        wallet = u.session.get(Wallet, user_id)
    assert (count(uow, User), count(uow, Wallet)) == (1, 1)
    assert wallet.balance == 0


def test_create_profile_delivered_twice_at_the_same_moment_leaves_one_of_each(uow):
    user_id = register(uow)
    barrier, errors = threading.Barrier(4), []

    def deliver():
        try:
            barrier.wait()
            with uow() as u:
                accounts.create_profile(u, user_id, "ann@example.com", None)
        except Exception as error:  # noqa: BLE001 — collected: an exception in a thread would go unseen
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert (count(uow, User), count(uow, Wallet)) == (1, 1)


def test_a_profile_for_an_email_of_another_user_is_a_conflict(uow):
    first, second = register(uow), register(uow, email="bob@example.com")
    with uow() as u:
        accounts.create_profile(u, first, "ann@example.com")
    with pytest.raises(Conflict), uow() as u:
        accounts.create_profile(u, second, "ann@example.com")
    assert (count(uow, User), count(uow, Wallet)) == (1, 1)


def test_create_admin_twice_leaves_one_admin_with_a_profile_and_wallet(uow):
    with uow() as u:
        first = accounts.create_admin(u, "Root@Example.com", "admin password")
    with uow() as u:
        second = accounts.create_admin(u, "root@example.com", "admin password")
    assert first == (first[0], True) and second == (first[0], False)
    with uow() as u:
        assert accounts.verify_login(u, "root@example.com", "admin password").roles == ["admin"]
    assert (count(uow, Credential), count(uow, User), count(uow, Wallet)) == (1, 1, 1)


def test_create_admin_promotes_an_existing_user_and_keeps_the_password(uow):
    user_id = register(uow)
    with uow() as u:
        accounts.create_profile(u, user_id, "ann@example.com", "Ann")
    with uow() as u:
        assert accounts.create_admin(u, "ann@example.com", "some other password") == (user_id, False)
    with uow() as u:
        assert accounts.verify_login(u, "ann@example.com", "some other password") is None
        assert accounts.verify_login(u, "ann@example.com", "correct horse").roles == ["admin"]
        assert u.session.get(User, user_id).name == "Ann"


def make_user(uow, email="ann@example.com") -> int:
    user_id = register(uow, email=email)
    with uow() as u:
        accounts.create_profile(u, user_id, email)
    return user_id


def test_credit_adjustment_raises_the_balance_with_one_ledger_entry(uow):
    user_id = make_user(uow)
    with uow() as u:
        assert accounts.credit_adjustment(u, "ANN@example.com", 1500) == 1500
    with uow() as u:
        assert accounts.credit_adjustment(u, "ann@example.com", 250) == 1750
    with uow() as u:
        entries = u.session.scalars(select(WalletEntry).order_by(WalletEntry.id)).all()
        assert u.session.get(Wallet, user_id).balance == 1750
    assert [(e.user_id, e.kind, e.amount, e.order_id, e.topup_id) for e in entries] == [
        (user_id, "adjustment", 1500, None, None), (user_id, "adjustment", 250, None, None)]


@pytest.mark.parametrize("amount", [0, -5, True, 1.5, "10"])
def test_credit_adjustment_refuses_amounts_that_are_not_positive_integers(uow, amount):
    user_id = make_user(uow)
    with pytest.raises(DomainError) as error, uow() as u:
        accounts.credit_adjustment(u, "ann@example.com", amount)
    assert error.value.reason == "invalid_amount"
    with uow() as u:
        assert u.session.get(Wallet, user_id).balance == 0
    assert count(uow, WalletEntry) == 0


def test_credit_adjustment_for_an_unknown_email_is_not_found(uow):
    make_user(uow)
    with pytest.raises(NotFound), uow() as u:
        accounts.credit_adjustment(u, "nobody@example.com", 100)
    assert count(uow, WalletEntry) == 0


def test_concurrent_credits_lose_none(uow):
    user_id = make_user(uow)
    barrier = threading.Barrier(5)

    def credit():
        barrier.wait()
        with uow() as u:
            accounts.credit_adjustment(u, "ann@example.com", 100)

    threads = [threading.Thread(target=credit) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with uow() as u:
        assert u.session.get(Wallet, user_id).balance == 500
    assert count(uow, WalletEntry) == 5


# --- the account.create_profile task: a thin adapter, idempotent, retrying only what is transient

@pytest.fixture
def task_db(account_url, uow):
    from emarket.config import Settings, in_force

    with in_force(Settings(db_account=account_url)):
        yield uow


@pytest.fixture
def retries():
    from celery.signals import task_retry

    seen = []

    def on_retry(sender=None, reason=None, **_):
        seen.append(reason)

    task_retry.connect(on_retry, weak=False)
    yield seen
    task_retry.disconnect(on_retry)


def test_the_task_delivered_twice_replies_the_same_and_makes_one_of_each(task_db, retries):
    from tasks.accounts import create_profile

    user_id = register(task_db)
    replies = [create_profile.apply(args=[user_id, "ann@example.com", "Ann"]).get() for _ in range(2)]
    assert replies == [{"id": user_id, "email": "ann@example.com", "name": "Ann"}] * 2
    assert (count(task_db, User), count(task_db, Wallet)) == (1, 1)
    assert retries == []


def test_a_business_refusal_fails_at_once_without_retries(task_db, retries):
    from tasks.accounts import create_profile

    first, second = register(task_db), register(task_db, email="bob@example.com")
    create_profile.apply(args=[first, "ann@example.com", None]).get()
    result = create_profile.apply(args=[second, "ann@example.com", None])
    assert result.state == "FAILURE" and isinstance(result.result, Conflict)
    assert retries == []


def test_a_transient_database_failure_is_retried_until_the_retries_run_out(retries):
    from sqlalchemy.exc import OperationalError

    from emarket.config import Settings, in_force
    from tasks.accounts import create_profile

    # Nothing listens on port 1: every attempt is refused, as when the database restarts.
    with in_force(Settings(db_account="postgresql+psycopg2://postgres@127.0.0.1:1/gone")) as gone:
        result = create_profile.apply(args=[1, "ann@example.com", None])
    assert result.state == "FAILURE" and isinstance(result.result, OperationalError)
    assert len(retries) == gone.step_max_retries
