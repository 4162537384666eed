"""The ``account`` database: credentials (auth), users and e-wallets (Maccount), the wallet's
holds and ledger (Mmoney), top-ups (MmoneyAdd)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import AccountBase, BigIntId, IdempotentRequestColumns, UTCDateTime, utcnow


class Credential(AccountBase):
    """Owned by the auth service: how a user proves who they are, and their roles."""

    __tablename__ = "credential"
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(AccountBase):
    """Owned by Maccount: the user's profile. Its id is the credential's id."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=False)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Wallet(AccountBase):
    """The e-wallet. ``balance`` is spendable; nothing is ever held apart from it, since a payment
    checks and debits in one transaction (``emarket.wallet.charge``)."""

    __tablename__ = "e_wallet"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_non_negative"),
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WalletHold(AccountBase):
    """The record of one order's payment, written with its debit; one per order at most. The only
    status is ``debited``: the charge checks and debits at once, so no money waits frozen."""

    __tablename__ = "wallet_hold"
    __table_args__ = (
        UniqueConstraint("order_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('debited')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("e_wallet.user_id"), index=True)
    order_id: Mapped[str] = mapped_column(String(36))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WalletEntry(AccountBase):
    """The wallet's ledger. The unique constraints make a second debit (or refund) for one
    order, or a second credit for one top-up, impossible at the database level."""

    __tablename__ = "wallet_entry"
    __table_args__ = (
        UniqueConstraint("order_id", "kind"),
        UniqueConstraint("topup_id"),
        CheckConstraint("amount <> 0", name="amount_non_zero"),
        CheckConstraint("kind IN ('topup', 'debit', 'refund', 'adjustment')", name="kind_known"),
        Index("ix_wallet_entry_user_id_id", "user_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("e_wallet.user_id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[str | None] = mapped_column(String(36))
    topup_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Topup(AccountBase):
    """A top-up from the bank (MmoneyAdd); its state machine lives in this row."""

    __tablename__ = "topup"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('initiated', 'pending_confirmation', 'captured', 'credited', 'failed', 'expired')",
            name="status_known",
        ),
        Index("ix_topup_user_id_created_at", "user_id", "created_at"),
        Index("ix_topup_status_updated_at", "status", "updated_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("e_wallet.user_id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    bank_account: Mapped[str] = mapped_column(String(34))
    status: Mapped[str] = mapped_column(String(24))
    hold_id: Mapped[str | None] = mapped_column(String(36))
    confirm_url: Mapped[str | None] = mapped_column(String(500))
    failure: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class IdempotentRequest(IdempotentRequestColumns, AccountBase):
    """The Idempotency-Keys of the creating POSTs whose resources live in this database."""
