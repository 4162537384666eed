"""Bank accounts: opening one (PIN hashed with argon2), reading it, the availability check,
and the merchant account that must exist from the bank's first start."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from db.bank import BankAccount
from db.unit_of_work import UnitOfWork
from emarket import hashing
from emarket.config import settings
from emarket.errors import NotFound

NUMBER_PREFIX = "40"
NUMBER_LENGTH = 20


def hash_pin(pin: str) -> str:
    return hashing.make(pin)


def pin_matches(pin_hash: str, pin: str) -> bool:
    return hashing.matches(pin_hash, pin)


def account_view(account: BankAccount) -> dict[str, Any]:
    return {"number": account.number, "owner": account.owner, "balance": account.balance,
            "held": account.held, "currency": settings().currency}


def _new_number(uow: UnitOfWork) -> str:
    while True:  # 18 random digits: a collision is astronomically rare, but cheap to rule out
        number = NUMBER_PREFIX + "".join(secrets.choice("0123456789") for _ in range(NUMBER_LENGTH - 2))
        if uow.session.get(BankAccount, number) is None:
            return number


def create_account(uow: UnitOfWork, owner: str, pin: str, balance: int) -> BankAccount:
    account = BankAccount(number=_new_number(uow), owner=owner, pin_hash=hash_pin(pin),
                          balance=balance, held=0)
    uow.session.add(account)
    uow.session.flush()
    return account


def get_account(uow: UnitOfWork, number: str) -> BankAccount:
    account = uow.session.get(BankAccount, number) if number.isdigit() else None
    if account is None:
        raise NotFound("unknown_account", f"no bank account {number}")
    return account


def is_sufficient(uow: UnitOfWork, number: str, amount: int) -> bool:
    return get_account(uow, number).balance >= amount


def ensure_merchant_account(uow: UnitOfWork, number: str | None = None) -> None:
    """Create the shop's merchant account if missing, balance 0. Several gunicorn workers may
    start at once, so this is an insert that ignores a conflict rather than check-then-insert."""
    number = number or settings().bank_merchant_account
    if uow.session.execute(select(BankAccount.number).where(BankAccount.number == number)).first():
        return
    values = {"number": number, "owner": "emarket merchant", "balance": 0, "held": 0,
              # Nobody confirms holds on the merchant's own account: a PIN no one knows.
              "pin_hash": hash_pin(secrets.token_urlsafe(32))}
    statement = postgresql.insert(BankAccount).values(**values).on_conflict_do_nothing(index_elements=["number"])
    uow.session.execute(statement)
