"""The wallet top-up (MmoneyAdd): its state machine in the ``topup`` row of the ``account``
database, and the one credit of the wallet once the bank has captured the money.

    initiated ──hold placed──▶ pending_confirmation ──captured──▶ captured ──credit──▶ credited
        └──bank refused──▶ failed        └──released / expired──▶ expired

Every move is a compare-and-set (``UPDATE topup SET status = new WHERE id = … AND status =
expected``): a redelivered task, the poller and the sweep job may race, and the loser does
nothing. The credit is the ledger row (unique on ``topup_id``) and the balance increase in the
same transaction as the ``captured → credited`` move, so a wallet is credited at most once by
construction and, because the sweep credits whatever stays ``captured``, at least once.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from db.account import Topup, Wallet, WalletEntry
from db.base import utcnow
from db.unit_of_work import UnitOfWork, rows_changed
from emarket import pagination
from emarket.config import settings
from emarket.errors import NotFound
from emarket.timefmt import rfc3339

INITIATED, PENDING, CAPTURED, CREDITED = "initiated", "pending_confirmation", "captured", "credited"
FAILED, EXPIRED = "failed", "expired"
FINAL = (CREDITED, FAILED, EXPIRED)


def topup_view(topup: Topup) -> dict[str, Any]:
    return {"id": topup.id, "amount": topup.amount, "currency": settings().currency,
            "bank_account": topup.bank_account, "status": topup.status, "confirm_url": topup.confirm_url,
            "created_at": rfc3339(topup.created_at), "updated_at": rfc3339(topup.updated_at)}


def bank_reference(topup: Topup) -> str:
    return f"emarket top-up {topup.id}"


def _valid_id(topup_id: str) -> str | None:
    try:
        return str(uuid.UUID(topup_id))
    except (ValueError, TypeError, AttributeError):
        return None


# --- the user's side -----------------------------------------------------------------------

def create_topup(uow: UnitOfWork, user_id: int, amount: int, bank_account: str) -> Topup:
    """Store a new top-up as ``initiated`` (a request's Idempotency-Key is claimed around this,
    in the same transaction: ``emarket.idempotency``)."""
    if uow.session.get(Wallet, user_id) is None:
        raise NotFound("no_wallet", "this user has no e-wallet")
    now = utcnow()
    topup = Topup(id=str(uuid.uuid4()), user_id=user_id, amount=amount, bank_account=bank_account,
                  status=INITIATED, created_at=now, updated_at=now)
    uow.session.add(topup)
    uow.session.flush()
    return topup


def get_topup(uow: UnitOfWork, topup_id: str, user_id: int | None = None) -> Topup:
    """One top-up; another user's is as unknown as a missing one (docs/api.md: 404)."""
    valid = _valid_id(topup_id)
    topup = uow.session.get(Topup, valid, populate_existing=True) if valid else None
    if topup is None or (user_id is not None and topup.user_id != user_id):
        raise NotFound("not_found", "no such top-up")
    return topup


def list_topups(uow: UnitOfWork, user_id: int, *, limit: int, cursor: str | None = None) -> tuple[list[Topup], str | None]:
    """Newest first, keyset-paginated on (created_at, id)."""
    return pagination.page(uow.session, select(Topup).where(Topup.user_id == user_id),
                           (Topup.created_at, Topup.id), cursor, limit)


# --- the state machine ----------------------------------------------------------------------

def _transition(uow: UnitOfWork, topup_id: str, expected: tuple[str, ...], new: str, **values: object) -> bool:
    statement = (update(Topup).where(Topup.id == topup_id, Topup.status.in_(expected))
                 .values(status=new, updated_at=utcnow(), **values))
    return rows_changed(uow.session.execute(statement)) == 1


def hold_placed(uow: UnitOfWork, topup_id: str, hold_id: str, confirm_url: str) -> bool:
    return _transition(uow, topup_id, (INITIATED,), PENDING, hold_id=hold_id, confirm_url=confirm_url)


def bank_refused(uow: UnitOfWork, topup_id: str, reason: str) -> bool:
    return _transition(uow, topup_id, (INITIATED,), FAILED, failure=reason[:200])


def hold_captured(uow: UnitOfWork, topup_id: str) -> bool:
    return _transition(uow, topup_id, (PENDING,), CAPTURED)


def hold_lapsed(uow: UnitOfWork, topup_id: str, bank_status: str) -> bool:
    """The hold was released or expired unconfirmed: the top-up ends ``expired``."""
    return _transition(uow, topup_id, (PENDING,), EXPIRED, failure=f"hold {bank_status}")


def credit(uow: UnitOfWork, topup_id: str) -> bool:
    """Credit the wallet with a captured top-up, once. True if this call credited it."""
    topup = get_topup(uow, topup_id)
    if not _transition(uow, topup_id, (CAPTURED,), CREDITED):
        return False
    uow.session.add(WalletEntry(user_id=topup.user_id, kind="topup", amount=topup.amount, topup_id=topup.id))
    uow.session.execute(update(Wallet).where(Wallet.user_id == topup.user_id)
                        .values(balance=Wallet.balance + topup.amount, updated_at=utcnow()))
    uow.session.flush()  # the unique topup_id in the ledger is the last word on "once"
    return True


def apply_bank_status(uow: UnitOfWork, topup_id: str, bank_status: str) -> str:
    """Move a pending top-up as its hold's status at the bank says; returns the new status."""
    if bank_status == "captured":
        hold_captured(uow, topup_id)
    elif bank_status in ("released", "expired"):
        hold_lapsed(uow, topup_id, bank_status)
    return get_topup(uow, topup_id).status


def hold_is_overdue(topup: Topup, now: datetime | None = None) -> bool:
    """The bank's hold has certainly expired by now (its TTL plus a margin for clock skew)."""
    deadline = topup.created_at + timedelta(seconds=settings().bank_hold_ttl + settings().topup_sweep_after)
    return (now or utcnow()) >= deadline


# --- for the sweep job ----------------------------------------------------------------------

def ids_in(uow: UnitOfWork, status: str, unchanged_for: float = 0, limit: int = 500) -> list[str]:
    cutoff = utcnow() - timedelta(seconds=unchanged_for)
    return list(uow.session.scalars(select(Topup.id).where(Topup.status == status, Topup.updated_at <= cutoff)
                                    .order_by(Topup.updated_at).limit(limit)))
