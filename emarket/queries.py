"""Read-side queries for the shop's pages and API: an order with its saga timeline, a user's
orders (the cabinet), the wallet and its ledger. They only read, and return plain dicts in
docs/api.md's field names (money as integers, times as RFC 3339); the web adds ``currency``.

Lists are newest first, paged by ``emarket.pagination`` (keyset; a bad cursor is BadCursor).
"""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from db.account import Wallet, WalletEntry
from db.emarket import Order, OrderItem, SagaEvent
from db.unit_of_work import UnitOfWork
from emarket import pagination
from emarket.errors import NotFound
from emarket.pagination import BadCursor as BadCursor
from emarket.timefmt import rfc3339

# --- orders ------------------------------------------------------------------------------

def valid_order_id(order_id: str) -> str | None:
    """The canonical form of an order id, or None if it is not a UUID at all."""
    try:
        return str(uuid.UUID(order_id))
    except (ValueError, TypeError, AttributeError):
        return None


def _summary(order: Order) -> dict[str, Any]:
    return {"id": order.id, "status": order.status, "reason": order.reason, "total": order.total,
            "created_at": rfc3339(order.created_at), "updated_at": rfc3339(order.updated_at),
            "payment_deadline": rfc3339(order.payment_deadline)}


def order_view(uow: UnitOfWork, order_id: str, user_id: int) -> dict[str, Any]:
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


def list_orders(uow: UnitOfWork, user_id: int, *, limit: int, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The cabinet: one user's orders, newest first, on the index (user_id, created_at, id)."""
    orders, following = pagination.page(uow.session, select(Order).where(Order.user_id == user_id),
                                        (Order.created_at, Order.id), cursor, limit)
    return [_summary(o) for o in orders], following


# --- wallet ------------------------------------------------------------------------------

def wallet_view(uow: UnitOfWork, user_id: int) -> dict[str, Any]:
    """Balance, and the money frozen for payments in progress: always 0, since a payment checks
    and debits in one transaction (``emarket.wallet.charge``) and nothing waits between steps;
    the contract keeps the field. A user whose wallet is not created yet (registration makes it
    asynchronously, through the account queue) simply has nothing: zeros, not an error."""
    wallet = uow.session.get(Wallet, user_id)
    return {"balance": 0 if wallet is None else wallet.balance, "frozen": 0}


def wallet_transactions(uow: UnitOfWork, user_id: int, *, limit: int, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The wallet's ledger, newest first, keyset on the entry id (index (user_id, id))."""
    entries, following = pagination.page(uow.session, select(WalletEntry).where(WalletEntry.user_id == user_id),
                                         (WalletEntry.id,), cursor, limit)
    return [{"id": e.id, "kind": e.kind, "amount": e.amount, "order_id": e.order_id,
             "topup_id": e.topup_id, "at": rfc3339(e.created_at)} for e in entries], following


def order_lines(uow: UnitOfWork, order_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The items of several orders at once (the cabinet's rows), by order id."""
    lines: dict[str, list[dict[str, Any]]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        for item in uow.session.scalars(select(OrderItem).where(OrderItem.order_id.in_(order_ids))
                                        .order_by(OrderItem.order_id, OrderItem.product_id)):
            lines[item.order_id].append({"product_id": item.product_id, "quantity": item.quantity, "price": item.price})
    return lines
