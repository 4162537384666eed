"""The ``emarket`` database: orders and their saga events (Morder, the choreographer),
products and their stock and reservations (Mproduct), and the shop's saved carts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from db.base import BigIntId, EmarketBase, IdempotentRequestColumns, UTCDateTime, utcnow
from db.limits import PRODUCT_NAME, QUANTITY

# The order's statuses in their saga order: the one list (emarket.order_status names them and
# says which moves are allowed; the CHECK constraint below keeps the table to them).
ORDER_STATUSES = ("accepted", "processing", "awaiting_payment", "payment_started", "completed", "cancelled")
_status_list = ", ".join(f"'{s}'" for s in ORDER_STATUSES)


class ProductDesc(EmarketBase):
    __tablename__ = "product_desc"
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(PRODUCT_NAME.hi))
    description: Mapped[str] = mapped_column(Text, default="")
    # Hidden by an admin: out of the catalogue, while orders that hold it still show and pay it.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProductAccounting(EmarketBase):
    """Stock and price. ``count`` is on hand, ``reserved`` is held by payments in progress."""

    __tablename__ = "product_accounting"
    __table_args__ = (
        CheckConstraint("count >= 0", name="count_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("reserved <= count", name="reserved_within_count"),
        CheckConstraint("price > 0", name="price_positive"),
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("product_desc.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[int] = mapped_column(BigInteger)


class Order(EmarketBase):
    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint(f"status IN ({_status_list})", name="status_known"),
        CheckConstraint("total IS NULL OR total >= 0", name="total_non_negative"),
        # The cabinet: one user's orders, newest first, keyset-paginated on (created_at, id).
        Index("ix_order_user_id_created_at_id", "user_id", "created_at", "id"),
        # The payment-clock sweeper and the stuck-saga finder.
        Index("ix_order_status_updated_at", "status", "updated_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(32))
    total: Mapped[int | None] = mapped_column(BigInteger)
    payment_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The id of the request whose compare-and-set started payment: a redelivery of that very
    # message is recognised as "my own result", any other request as "already started".
    payment_request_id: Mapped[str | None] = mapped_column(String(64))
    # Set once, by the compensation's compare-and-set, when a step failed for good: from then on
    # no forward step may move the order (complete, await payment), so completing and undoing
    # can never both happen. Internal; the public ``reason`` is set when the order is cancelled.
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderItem(EmarketBase):
    __tablename__ = "order_item"
    # The floor rendered as the migrations wrote it ("quantity > 0").
    __table_args__ = (
        CheckConstraint(f"quantity > {QUANTITY.lo - 1}", name="quantity_positive"),
        CheckConstraint("price IS NULL OR price > 0", name="price_positive"),
    )
    order_id: Mapped[str] = mapped_column(ForeignKey("order.id"), primary_key=True)
    # No foreign key: an unknown product is a saga outcome (unknown_product), not a 4xx.
    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[int | None] = mapped_column(BigInteger)


class Reservation(EmarketBase):
    """Units held for one order's payment; one row per (order, product) ever, so a
    duplicate reservation is impossible at the database level."""

    __tablename__ = "reservation"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint(f"quantity > {QUANTITY.lo - 1}", name="quantity_positive"),
        CheckConstraint("status IN ('held', 'sold', 'released')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36))
    product_id: Mapped[int] = mapped_column(ForeignKey("product_accounting.product_id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SagaEvent(EmarketBase):
    """One step of an order's saga. Each name happens at most once per order, which makes
    recording an event idempotent under redelivery."""

    __tablename__ = "saga_event"
    __table_args__ = (
        UniqueConstraint("order_id", "name"),
        Index("ix_saga_event_order_id_at", "order_id", "at"),
    )
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("order.id"))
    name: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which run of which step recorded it, for the operators' console (null where no Celery
    # task ran it: the shop storing a new order).
    task_id: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(200))
    attempt: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))


class IdempotentRequest(IdempotentRequestColumns, EmarketBase):
    """The Idempotency-Keys of the creating POSTs whose resources live in this database."""


class SavedCartLine(EmarketBase):
    """A line of a logged-in shopper's cart, kept so the cart waits for them at their next login
    (emarket.saved_carts). ``user_id`` names a user of the ``account`` database, which no foreign
    key can reach; ``product_id`` has none either, so a product that no longer exists stays a
    line the cart page says cannot be ordered instead of failing the save."""

    __tablename__ = "saved_cart_line"
    __table_args__ = (CheckConstraint("quantity BETWEEN 1 AND 1000", name="quantity_in_range"),)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    quantity: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
