"""What the order page says beside the saga's own words: the wallet's balance while the order
waits for payment (so a shopper with too little is told before Pay, and offered a top-up that
comes back here), and after a payment that failed on money or stock, whether anything was
charged (never, or refunded) — the saga still decides; the page only says what will happen."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort

from emarket import catalog, queries
from emarket.errors import NotFound
from emarket.storage import unit_of_work
from web.shop.page_auth import page_caller

# Cancellations a shopper can fix by ordering again (after a top-up, or once restocked).
ORDER_AGAIN = frozenset({"insufficient_funds", "out_of_stock", "payment_timeout", "cancelled_by_user"})


def product_names(product_ids: Iterable[int]) -> dict[int, str]:
    with unit_of_work("emarket") as uow:
        return {pid: p.name for pid, p in catalog.products_by_id(uow, product_ids).items()}


def order_view(order_id: str) -> dict[str, Any]:
    caller = page_caller()
    assert caller is not None  # the order page is behind login_page_required
    try:
        with unit_of_work("emarket") as uow:
            return queries.order_view(uow, order_id, caller.id)
    except NotFound:
        abort(404, "There is no such order.")


def _money_outcome(view: dict[str, Any]) -> str | None:
    """After a cancellation: "refunded" if a charge was made and given back, "not_charged" if
    no money ever left the wallet, None while the order is not cancelled."""
    if view["status"] != "cancelled":
        return None
    names = {event["name"] for event in view["events"]}
    if "money_charged" in names:
        return "refunded" if "money_refunded" in names else "charged"
    return "not_charged"


def context(order_id: str) -> dict[str, Any]:
    """The order page's template context: the order, its product names, and the wallet."""
    view = order_view(order_id)
    balance = None
    if view["status"] == "awaiting_payment":
        caller = page_caller()
        assert caller is not None  # the order page is behind login_page_required
        with unit_of_work("account") as uow:
            balance = queries.wallet_view(uow, caller.id)["balance"]
    return {"order": view, "names": product_names(i["product_id"] for i in view["items"]), "balance": balance,
            "money_outcome": _money_outcome(view), "order_again": view["reason"] in ORDER_AGAIN}
