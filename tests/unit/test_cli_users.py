"""The operator's commands through click's CliRunner, on a real PostgreSQL database."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.account import Credential, User, Wallet, WalletEntry
from emarket import accounts
from emarket.cli import main
from emarket.config import Settings, in_force


@pytest.fixture
def uow(uow, account_url):
    """tests/unit/conftest.py's, with that database in force: the commands read the settings."""
    with in_force(Settings(db_account=account_url)):
        yield uow


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def rows(uow, model) -> list:
    with uow() as u:
        return u.session.scalars(select(model)).all()


def test_create_admin_twice_leaves_one_admin_with_profile_and_wallet(uow):
    first = run("users", "create-admin", "Root@Example.com", "--password", "admin password")
    second = run("users", "create-admin", "root@example.com", "--password", "admin password")
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "created" in first.output and "password unchanged" in second.output
    (credential,) = rows(uow, Credential)
    assert (credential.email, credential.roles) == ("root@example.com", ["admin"])
    assert [u.id for u in rows(uow, User)] == [w.user_id for w in rows(uow, Wallet)] == [credential.id]
    with uow() as u:
        assert accounts.verify_login(u, "root@example.com", "admin password").roles == ["admin"]


def test_create_admin_prompts_for_the_password_when_not_given(uow):
    result = run("users", "create-admin", "root@example.com", input="admin password\nadmin password\n")
    assert result.exit_code == 0
    assert "admin password" not in result.output.replace("Password", "")  # the input is hidden
    assert len(rows(uow, Credential)) == 1


@pytest.mark.parametrize("args", [
    ("not-an-email", "--password", "admin password"),
    ("root@example.com", "--password", "short"),
    ("root@example.com", "--password", "p" * 129),
])
def test_create_admin_refuses_bad_input_and_changes_nothing(uow, args):
    result = CliRunner().invoke(main, ["users", "create-admin", *args])
    assert result.exit_code == 2
    assert rows(uow, Credential) == [] and rows(uow, User) == []


def test_wallet_credit_adds_an_adjustment(uow):
    run("users", "create-admin", "root@example.com", "--password", "admin password")
    first = run("wallet", "credit", "ROOT@example.com", "2500")
    second = run("wallet", "credit", "root@example.com", "500")
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "balance 3000 USD" in second.output
    (wallet,) = rows(uow, Wallet)
    assert wallet.balance == 3000
    assert [(e.kind, e.amount) for e in rows(uow, WalletEntry)] == [("adjustment", 2500), ("adjustment", 500)]


@pytest.mark.parametrize("email, amount", [("root@example.com", "0"), ("root@example.com", "-5"),
                                           ("root@example.com", "1.5"), ("nobody@example.com", "100")])
def test_wallet_credit_refuses_bad_input_and_changes_nothing(uow, email, amount):
    run("users", "create-admin", "root@example.com", "--password", "admin password")
    result = CliRunner().invoke(main, ["wallet", "credit", email, amount])
    assert result.exit_code != 0
    assert rows(uow, Wallet)[0].balance == 0 and rows(uow, WalletEntry) == []


@pytest.fixture
def key_files(tmp_path):
    private, public = tmp_path / "jwt" / "private.pem", tmp_path / "jwt" / "public.pem"
    with in_force(Settings(jwt_private_key=str(private), jwt_public_key=str(public))):
        yield private, public


def test_keys_generate_writes_a_pair_and_keeps_it_unless_forced(key_files):
    private, public = key_files
    assert "wrote" in run("keys", "generate").output
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert private.stat().st_mode & 0o077 == 0  # readable by its owner only
    kept = public.read_text()
    assert "kept" in run("keys", "generate").output and public.read_text() == kept
    assert "wrote" in run("keys", "generate", "--force").output and public.read_text() != kept
