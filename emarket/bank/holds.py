"""Holds: freeze an amount on an account, then capture it into the merchant account (the
holder confirms with the PIN), release it, or let it expire.

Money moves only inside the same transaction as the hold's compare-and-set that allows it,
so a hold's amount is moved at most once whatever the races (two confirmations, a release
against a confirmation, the expiry job against either). Expiry is applied lazily whenever a
hold is read, confirmed or released, and by ``expire_overdue_holds`` (the ``emarket bank
expire-holds`` command), so an overdue hold never stays pending because nobody looked.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update

from db.bank import BankAccount, BankHold
from db.base import utcnow
from db.unit_of_work import UnitOfWork, rows_changed
from emarket.bank.accounts import get_account, pin_matches
from emarket.bank.errors import HoldCaptured
from emarket.config import settings
from emarket.errors import InsufficientFunds, NotFound
from emarket.timefmt import rfc3339

PENDING, CAPTURED, RELEASED, EXPIRED = "pending_confirmation", "captured", "released", "expired"
MAX_WRONG_PINS = 5


@dataclass(frozen=True)
class Confirmation:
    """What a PIN did. Refusals are values, not exceptions, because what they changed must be
    committed: a wrong PIN's count, or the expiry that a late confirmation just applied."""

    captured: bool
    closed: bool = False  # the hold is released or expired: nothing can be captured
    attempts_left: int = 0
    released: bool = False  # this wrong PIN was the last allowed: the hold was released


def confirm_url(hold_id: str) -> str:
    return settings().bank_public_url.rstrip("/") + f"/bank/confirm/{hold_id}"


def hold_view(hold: BankHold) -> dict[str, Any]:
    return {"id": hold.id, "status": hold.status, "amount": hold.amount, "account": hold.account_number,
            "reference": hold.reference, "confirm_url": confirm_url(hold.id), "currency": settings().currency,
            "expires_at": rfc3339(hold.expires_at)}


# --- money movements, each paired with the compare-and-set that allows it --------------------

def _move(uow: UnitOfWork, number: str, balance: int = 0, held: int = 0) -> None:
    done = rows_changed(uow.session.execute(
        update(BankAccount).where(BankAccount.number == number)
        .values(balance=BankAccount.balance + balance, held=BankAccount.held + held)
    ))
    if done != 1:
        raise RuntimeError(f"bank account {number} vanished mid-transaction")


def _transition(uow: UnitOfWork, hold_id: str, expected: str, new: str, *extra: ColumnElement[bool]) -> bool:
    """``UPDATE bank_hold SET status = new WHERE id = … AND status = expected``: True if it won."""
    statement = (update(BankHold).where(BankHold.id == hold_id, BankHold.status == expected, *extra)
                 .values(status=new, updated_at=utcnow()))
    return rows_changed(uow.session.execute(statement)) == 1


def _load(uow: UnitOfWork, hold_id: str) -> BankHold:
    hold = uow.session.get(BankHold, hold_id, populate_existing=True) if _is_uuid(hold_id) else None
    if hold is None:
        raise NotFound("unknown_hold", f"no hold {hold_id}")
    return hold


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (ValueError, AttributeError):
        return False


def _expire_if_overdue(uow: UnitOfWork, hold: BankHold, now: datetime) -> BankHold:
    if hold.status == PENDING and hold.expires_at <= now:
        if _transition(uow, hold.id, PENDING, EXPIRED):
            _move(uow, hold.account_number, balance=hold.amount, held=-hold.amount)
        return _load(uow, hold.id)
    return hold


# --- use cases ---------------------------------------------------------------------------------

def create_hold(uow: UnitOfWork, account: str, amount: int, reference: str, now: datetime | None = None) -> BankHold:
    """Freeze ``amount`` on ``account`` (a request's Idempotency-Key is claimed around this, in
    the same transaction: ``emarket.idempotency``)."""
    now = now or utcnow()
    get_account(uow, account)
    debited = rows_changed(uow.session.execute(
        update(BankAccount).where(BankAccount.number == account, BankAccount.balance >= amount)
        .values(balance=BankAccount.balance - amount, held=BankAccount.held + amount)
    ))
    if debited != 1:
        raise InsufficientFunds("insufficient_funds", f"account {account} cannot cover {amount}")
    hold = BankHold(id=str(uuid.uuid4()), account_number=account, amount=amount, reference=reference,
                    status=PENDING, wrong_pins=0, expires_at=now + timedelta(seconds=settings().bank_hold_ttl),
                    created_at=now, updated_at=now)
    uow.session.add(hold)
    uow.session.flush()
    return hold


def get_hold(uow: UnitOfWork, hold_id: str, now: datetime | None = None) -> BankHold:
    return _expire_if_overdue(uow, _load(uow, hold_id), now or utcnow())


def confirm_hold(uow: UnitOfWork, hold_id: str, pin: str, now: datetime | None = None) -> Confirmation:
    """The holder's PIN captures the hold into the merchant account. Confirming a captured hold
    again (with the right PIN) captures nothing more. A wrong PIN is counted; the fifth releases."""
    hold = get_hold(uow, hold_id, now)
    if hold.status in (RELEASED, EXPIRED):
        return Confirmation(captured=False, closed=True)
    holder = get_account(uow, hold.account_number)
    if not pin_matches(holder.pin_hash, pin):
        return _wrong_pin(uow, hold)
    if hold.status == PENDING and _transition(uow, hold.id, PENDING, CAPTURED):
        _move(uow, hold.account_number, held=-hold.amount)
        _move(uow, settings().bank_merchant_account, balance=hold.amount)
        return Confirmation(captured=True)
    hold = _load(uow, hold.id)  # lost a race: whoever won decided the outcome
    return Confirmation(captured=hold.status == CAPTURED, closed=hold.status != CAPTURED)


def _wrong_pin(uow: UnitOfWork, hold: BankHold) -> Confirmation:
    if hold.status != PENDING:  # a captured hold: nothing left to protect or release
        return Confirmation(captured=False)
    uow.session.execute(update(BankHold).where(BankHold.id == hold.id, BankHold.status == PENDING)
                        .values(wrong_pins=BankHold.wrong_pins + 1, updated_at=utcnow()))
    hold = _load(uow, hold.id)
    if hold.status == PENDING and hold.wrong_pins >= MAX_WRONG_PINS:
        if _transition(uow, hold.id, PENDING, RELEASED):
            _move(uow, hold.account_number, balance=hold.amount, held=-hold.amount)
        return Confirmation(captured=False, released=True)
    return Confirmation(captured=False, attempts_left=max(0, MAX_WRONG_PINS - hold.wrong_pins))


def release_hold(uow: UnitOfWork, hold_id: str, now: datetime | None = None) -> BankHold:
    """Give the amount back. Releasing again is harmless; an expired hold already gave it back
    (answered as is); a captured hold cannot be released."""
    hold = get_hold(uow, hold_id, now)
    if hold.status == PENDING and _transition(uow, hold.id, PENDING, RELEASED):
        _move(uow, hold.account_number, balance=hold.amount, held=-hold.amount)
    hold = _load(uow, hold.id)
    if hold.status == CAPTURED:
        raise HoldCaptured("hold_captured", "the hold was captured; it cannot be released")
    return hold


def expire_overdue_holds(uow: UnitOfWork, now: datetime | None = None, limit: int = 1000) -> int:
    """Expire every pending hold past its deadline, returning its amount. Returns how many."""
    now = now or utcnow()
    overdue = uow.session.scalars(select(BankHold.id).where(BankHold.status == PENDING, BankHold.expires_at <= now)
                                  .order_by(BankHold.expires_at).limit(limit)).all()
    expired = 0
    for hold_id in overdue:
        if _expire_if_overdue(uow, _load(uow, hold_id), now).status == EXPIRED:
            expired += 1
    return expired
