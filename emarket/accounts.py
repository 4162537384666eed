"""Accounts: the auth service's credentials and Maccount's profiles and e-wallets.

Plain functions over an entered unit of work on the ``account`` database
(``with unit_of_work("account") as uow: register_credentials(uow, …)``); the caller's block is
the transaction. Credentials belong to auth; users and wallets to Maccount; both live in the
``account`` database, so an operator's command may create an admin's profile in the same
transaction as the admin's credential.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase

from db.account import Credential, User, Wallet, WalletEntry
from db.unit_of_work import UnitOfWork
from emarket import hashing
from emarket.errors import Conflict, DomainError, NotFound

PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_MAX, NAME_MAX = 254, 100
ADMIN = "admin"



@dataclass(frozen=True)
class Identity:
    """Who a verified login (or a refresh) is: the token's ``sub`` and ``roles``."""

    id: int
    email: str
    roles: list[str]


def normalise_email(email: str) -> str:
    """One spelling per address: ``Ann@Example.COM`` and ``ann@example.com`` are one account."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    return hashing.make(password)


def _password_matches(password_hash: str, password: str) -> bool:
    return hashing.matches(password_hash, password)


def _identity(credential: Credential) -> Identity:
    return Identity(credential.id, credential.email, list(credential.roles or []))


def _credential_by_email(uow: UnitOfWork, email: str) -> Credential | None:
    email = normalise_email(email)
    if len(email) > EMAIL_MAX or "\x00" in email:
        return None  # no stored email is like that (and PostgreSQL refuses NUL in a query)
    return uow.session.scalars(select(Credential).where(Credential.email == email)).one_or_none()


def register_credentials(uow: UnitOfWork, email: str, password: str, roles: Sequence[str] = ()) -> int:
    """A new credential; its id becomes the user's id. ``Conflict`` if the email is taken."""
    email = normalise_email(email)
    if _credential_by_email(uow, email) is not None:
        raise Conflict("email_taken", "this email is already registered")
    credential = Credential(email=email, password_hash=hash_password(password), roles=list(roles))
    uow.session.add(credential)
    try:
        with uow.session.begin_nested():  # a concurrent registration of the same email
            uow.session.flush()
    except IntegrityError:
        raise Conflict("email_taken", "this email is already registered") from None
    return credential.id


def verify_login(uow: UnitOfWork, email: str, password: str) -> Identity | None:
    """The identity if the password is this email's, else None — for any input, found or not.

    An unknown email still costs one argon2 verification, so timing does not tell whether the
    account exists. A hash made with older parameters is upgraded on a successful login.
    """
    credential = _credential_by_email(uow, email)
    if credential is None:
        _password_matches(hashing.dummy(), password)
        return None
    if not _password_matches(credential.password_hash, password):
        return None
    if hashing.outdated(credential.password_hash):
        credential.password_hash = hash_password(password)
    return _identity(credential)


def identity_of(uow: UnitOfWork, user_id: int) -> Identity:
    """The current identity (roles may have changed since the last token). ``NotFound`` if gone."""
    credential = uow.session.get(Credential, user_id)
    if credential is None:
        raise NotFound("unknown_user", f"no credential {user_id}")
    return _identity(credential)


def emails_by_id(uow: UnitOfWork, user_ids: Iterable[int]) -> dict[int, str]:
    """The emails of the users among ``user_ids`` (one query; the operators' console)."""
    wanted = {int(i) for i in user_ids}
    if not wanted:
        return {}
    return dict(uow.session.execute(select(Credential.id, Credential.email).where(Credential.id.in_(wanted))).all())


def _insert_ignoring_duplicates(uow: UnitOfWork, model: type[DeclarativeBase], **values: object) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a message delivered twice, even at the same moment by
    two workers, inserts once and fails neither delivery."""
    uow.session.execute(postgresql.insert(model).values(**values).on_conflict_do_nothing())


def create_profile(uow: UnitOfWork, user_id: int, email: str, name: str | None = None) -> dict[str, Any]:
    """Maccount: the user's profile and e-wallet (balance 0), idempotently.

    Any number of calls for one user leave one user and one wallet, the first call's name kept.
    ``Conflict`` if the email already belongs to another user id.
    """
    email = normalise_email(email)
    _insert_ignoring_duplicates(uow, User, id=user_id, email=email, name=name)
    user = uow.session.get(User, user_id)
    if user is None or user.email != email:
        raise Conflict("email_taken", f"the profile of {email} belongs to another user")
    _insert_ignoring_duplicates(uow, Wallet, user_id=user_id, balance=0)
    return {"id": user.id, "email": user.email, "name": user.name}


def create_admin(uow: UnitOfWork, email: str, password: str) -> tuple[int, bool]:
    """Creates an admin, or promotes the existing account of that email (its password is then
    left as it is: promotion must not let whoever runs it take over an account silently).
    Registers the profile and wallet too. Returns (user id, whether a credential was created)."""
    credential = _credential_by_email(uow, email)
    created = credential is None
    if credential is None:
        user_id = register_credentials(uow, email, password, roles=[ADMIN])
    else:
        user_id = credential.id
        if ADMIN not in (credential.roles or []):
            credential.roles = [*(credential.roles or []), ADMIN]  # a new list: JSON is not mutable-tracked
    create_profile(uow, user_id, email)
    return user_id, created


def credit_adjustment(uow: UnitOfWork, email: str, amount: int) -> int:
    """An operator's credit: one ``adjustment`` ledger entry and the balance raised by ``amount``,
    in the caller's one transaction. Returns the new balance."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError("invalid_amount", "an adjustment is a positive integer of minor units")
    email = normalise_email(email)
    user = None
    if len(email) <= EMAIL_MAX and "\x00" not in email:
        user = uow.session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None:
        raise NotFound("unknown_user", f"no user with email {email!r}")
    # One UPDATE adds in the database, so concurrent credits never lose one another.
    balance = uow.session.execute(
        update(Wallet).where(Wallet.user_id == user.id)
        .values(balance=Wallet.balance + amount).returning(Wallet.balance)
    ).scalar_one_or_none()
    if balance is None:
        raise NotFound("unknown_wallet", f"the user {user.id} has no e-wallet yet")
    uow.session.add(WalletEntry(user_id=user.id, kind="adjustment", amount=amount))
    uow.session.flush()
    return balance
