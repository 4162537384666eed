"""Read-side queries for the shop's pages and API: an order with its saga timeline, a user's
orders (the cabinet), the wallet and its ledger. They only read, and return plain dicts in
docs/api.md's field names (money as integers, times as RFC 3339); the web adds ``currency``.

Lists are newest first with keyset pagination: the cursor names the last row shown, so a page
is one index range scan however deep the client goes, and rows inserted meanwhile never shift
a page. Cursors are opaque to clients (URL-safe base64); a cursor we did not make is BadCursor.
"""
from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime, timezone

from sqlalchemy import literal, select, tuple_

from db.account import Wallet, WalletEntry
from db.emarket import Order, OrderItem, SagaEvent
from db.unit_of_work import UnitOfWork
from emarket.errors import NotFound
from emarket.timefmt import rfc3339

_MAX_ID = 2**63 - 1


class BadCursor(ValueError):
    """A pagination cursor this service did not issue (docs/api.md: 400)."""


# --- cursors -----------------------------------------------------------------------------

def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    if not cursor or len(cursor) > 200:
        raise BadCursor("bad cursor")
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise BadCursor("bad cursor") from None


def encode_id_cursor(last_id: int) -> str:
    return _encode(f"id|{last_id}")


def decode_id_cursor(cursor: str) -> int:
    kind, _, value = _decode(cursor).partition("|")
    if kind != "id" or not value.isdigit() or not 0 < int(value) <= _MAX_ID:
        raise BadCursor("bad cursor")
    return int(value)


def encode_order_cursor(created_at: datetime, order_id: str) -> str:
    # Microseconds kept: the cursor must name the row exactly, not a millisecond near it.
    return _encode(f"{created_at.astimezone(timezone.utc).isoformat()}|{order_id}")


def decode_order_cursor(cursor: str) -> tuple[datetime, str]:
    moment, _, order_id = _decode(cursor).partition("|")
    try:
        created_at = datetime.fromisoformat(moment)
        order_id = str(uuid.UUID(order_id))
    except ValueError:
        raise BadCursor("bad cursor") from None
    if created_at.tzinfo is None:
        raise BadCursor("bad cursor")
    return created_at, order_id


# --- orders ------------------------------------------------------------------------------

def valid_order_id(order_id: str) -> str | None:
    """The canonical form of an order id, or None if it is not a UUID at all."""
    try:
        return str(uuid.UUID(order_id))
    except (ValueError, TypeError, AttributeError):
        return None


def _summary(order: Order) -> dict:
    return {"id": order.id, "status": order.status, "reason": order.reason, "total": order.total,
            "created_at": rfc3339(order.created_at), "updated_at": rfc3339(order.updated_at),
            "payment_deadline": rfc3339(order.payment_deadline)}


def order_view(uow: UnitOfWork, order_id: str, user_id: int) -> dict:
    """One order as its owner sees it. Another user's order is NotFound, never Forbidden:
    its existence is not revealed."""
    canonical = valid_order_id(order_id)
    order = uow.session.get(Order, canonical) if canonical else None
    if order is None or order.user_id != user_id:
        raise NotFound(detail="no such order")
    items = uow.session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.product_id)).all()
    events = uow.session.scalars(
        select(SagaEvent).where(SagaEvent.order_id == order.id).order_by(SagaEvent.at, SagaEvent.id)).all()
    summary = _summary(order)
    return {"id": order.id, "status": order.status, "reason": order.reason,
            "items": [{"product_id": i.product_id, "quantity": i.quantity, "price": i.price} for i in items],
            "total": order.total, "created_at": summary["created_at"], "updated_at": summary["updated_at"],
            "payment_deadline": summary["payment_deadline"],
            "events": [{"name": e.name, "at": rfc3339(e.at), "detail": e.detail or ""} for e in events]}


def order_status(uow: UnitOfWork, order_id: str) -> str | None:
    """The status alone, or None for an unknown order (the web's wait for phase 1)."""
    canonical = valid_order_id(order_id)
    order = uow.session.get(Order, canonical) if canonical else None
    return order.status if order else None


def list_orders(uow: UnitOfWork, user_id: int, *, limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """The cabinet: one user's orders, newest first, on the index (user_id, created_at, id)."""
    query = (select(Order).where(Order.user_id == user_id)
             .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1))
    if cursor is not None:
        created_at, order_id = decode_order_cursor(cursor)
        # A row-value comparison: PostgreSQL turns it into a bound on the index itself.
        query = query.where(tuple_(Order.created_at, Order.id) < tuple_(
            literal(created_at, Order.created_at.type), literal(order_id, Order.id.type)))
    orders = uow.session.scalars(query).all()
    page = orders[:limit]
    following = encode_order_cursor(page[-1].created_at, page[-1].id) if len(orders) > limit else None
    return [_summary(o) for o in page], following


# --- wallet ------------------------------------------------------------------------------

def wallet_view(uow: UnitOfWork, user_id: int) -> dict:
    """Balance and frozen money. A user whose wallet is not created yet (registration makes it
    asynchronously, through the account queue) simply has nothing: zeros, not an error."""
    wallet = uow.session.get(Wallet, user_id)
    if wallet is None:
        return {"balance": 0, "frozen": 0}
    return {"balance": wallet.balance, "frozen": wallet.frozen}


def wallet_transactions(uow: UnitOfWork, user_id: int, *, limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """The wallet's ledger, newest first, keyset on the entry id (index (user_id, id))."""
    query = (select(WalletEntry).where(WalletEntry.user_id == user_id)
             .order_by(WalletEntry.id.desc()).limit(limit + 1))
    if cursor is not None:
        query = query.where(WalletEntry.id < decode_id_cursor(cursor))
    entries = uow.session.scalars(query).all()
    page = entries[:limit]
    following = encode_id_cursor(page[-1].id) if len(entries) > limit else None
    return [{"id": e.id, "kind": e.kind, "amount": e.amount, "order_id": e.order_id,
             "topup_id": e.topup_id, "at": rfc3339(e.created_at)} for e in page], following


def order_lines(uow: UnitOfWork, order_ids: list[str]) -> dict[str, list[dict]]:
    """The items of several orders at once (the cabinet's rows), by order id."""
    lines: dict[str, list[dict]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        for item in uow.session.scalars(select(OrderItem).where(OrderItem.order_id.in_(order_ids))
                                        .order_by(OrderItem.order_id, OrderItem.product_id)):
            lines[item.order_id].append({"product_id": item.product_id, "quantity": item.quantity, "price": item.price})
    return lines
