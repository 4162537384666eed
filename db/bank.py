"""The bank's own database (Mbank): accounts and holds. External to the shop."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import BankBase, IdempotentRequestColumns, UTCDateTime, utcnow


class BankAccount(BankBase):
    __tablename__ = "bank_account"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("held >= 0", name="held_non_negative"),
    )
    number: Mapped[str] = mapped_column(String(34), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    pin_hash: Mapped[str] = mapped_column(String(255))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankHold(BankBase):
    __tablename__ = "bank_hold"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending_confirmation', 'captured', 'released', 'expired')", name="status_known"),
        CheckConstraint("wrong_pins >= 0", name="wrong_pins_non_negative"),
        Index("ix_bank_hold_status_expires_at", "status", "expires_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_number: Mapped[str] = mapped_column(ForeignKey("bank_account.number"))
    amount: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(24))
    wrong_pins: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class IdempotentRequest(IdempotentRequestColumns, BankBase):
    """The Idempotency-Keys of the creating POSTs whose resources live in this database."""
