"""The shop's pages speak in words, not in the database's codes: order statuses a shopper
understands, the saga's timeline as sentences with amounts as money, top-up progress, wallet
entries, and times as ``<time>`` elements (readable in UTC as served; the page's script
rewrites them in the browser's own time zone). The machine codes stay in ``data-`` attributes.
"""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from markupsafe import Markup, escape

from emarket.config import settings

ORDER_STATUS = {
    "accepted": "Received",
    "processing": "Checking stock",
    "awaiting_payment": "Waiting for your payment",
    "payment_started": "Payment in progress",
    "completed": "Paid",
    "cancelled": "Cancelled",
}

# Why an order was cancelled, finishing "Cancelled — …".
CANCEL_REASON = {
    "out_of_stock": "not enough stock",
    "unknown_product": "a product is no longer sold",
    "payment_timeout": "not paid in time",
    "insufficient_funds": "not enough money in your wallet",
    "cancelled_by_user": "by you",
    "failed": "something went wrong, nothing is charged",
}

# The saga's events as a shopper reads them; {amount} and {reason} are filled in.
EVENT = {
    "accepted": "Order received",
    "registered": "Order registered",
    "stock_checked": "In stock when checked (set aside for you only once you pay)",
    "awaiting_payment": "Waiting for your payment",
    "payment_started": "Payment started",
    "stock_reserved": "Items set aside for you",
    "money_charged": "{amount} paid from your wallet",
    "completed": "Order complete",
    "registration_failed": "The order could not be registered: {reason}",
    "stock_check_failed": "Stock check failed: {reason}",
    "stock_reservation_failed": "The items could not be set aside: {reason}",
    "charge_failed": "Payment failed: {reason}",
    "completion_failed": "The order could not be completed: {reason}",
    "stock_released": "Items put back on the shelf",
    "money_refunded": "{amount} refunded to your wallet",
    "cancelled": "Order cancelled: {reason}",
}

# Which service's step records each event: the console's timeline across services.
SERVICE = {
    "accepted": "shop", "registered": "order", "stock_checked": "product", "awaiting_payment": "order",
    "payment_started": "order", "stock_reserved": "product", "money_charged": "money", "completed": "order",
    "registration_failed": "order", "stock_check_failed": "product", "stock_reservation_failed": "product",
    "charge_failed": "money", "completion_failed": "order", "stock_released": "product",
    "money_refunded": "money", "cancelled": "order",
}

TOPUP_STATUS = {
    "initiated": "Asking your bank…",
    "pending_confirmation": "Waiting for your confirmation at the bank",
    "captured": "Confirmed at the bank, crediting your wallet…",
    "credited": "Credited to your wallet",
    "expired": "Expired: not confirmed at the bank in time",
    "failed": "Refused by the bank",
}

# Why a top-up ended without money (its ``failure``), finishing the status above.
TOPUP_FAILURE = {
    "unknown_account": "Refused by the bank: it knows no such account",
    "insufficient_funds": "Refused by the bank: the account holds too little",
    "hold released": "Not credited: the bank released the hold (a wrong PIN too many times)",
    "hold expired": "Expired: not confirmed at the bank in time",
}

ENTRY_KIND = {"topup": "Top-up", "debit": "Payment", "refund": "Refund", "adjustment": "Adjustment"}

# The same reasons inside a timeline sentence ("Order cancelled: at your request").
REASON_TEXT = {**CANCEL_REASON, "cancelled_by_user": "at your request"}


# The same reasons for an operator (the console): the code's meaning, not addressed to the shopper.
OPERATOR_REASON = {**CANCEL_REASON, "insufficient_funds": "not enough money in the wallet",
                   "cancelled_by_user": "by the shopper", "failed": "a step failed for good"}


def money(minor: int | None) -> str:
    if minor is None:
        return "—"
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100:,}.{abs(minor) % 100:02d} {settings().currency}"


def order_status(status: str, reason: str | None = None) -> str:
    if status == "cancelled" and reason:
        return "Cancelled by you" if reason == "cancelled_by_user" else f"Cancelled — {CANCEL_REASON.get(reason, reason)}"
    return ORDER_STATUS.get(status, status)


def operator_status(status: str, reason: str | None = None) -> str:
    """A status as the operators' console says it: about the shopper, not to them."""
    if status == "cancelled" and reason:
        return f"Cancelled — {OPERATOR_REASON.get(reason, reason)}"
    return ORDER_STATUS.get(status, status)


def event_text(name: str, detail: str = "") -> str:
    """One timeline entry in words (the awaiting-payment deadline is shown by the page itself)."""
    template = EVENT.get(name, name)
    amount = money(int(detail)) if detail.lstrip("-").isdigit() else detail
    return template.format(amount=amount, reason=REASON_TEXT.get(detail, detail or "unknown reason"))


def _parse(moment: str | datetime | None) -> datetime | None:
    if moment is None or moment == "":
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC)
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC)


def when(moment: str | datetime | None, style: str = "datetime") -> Markup:
    """``<time datetime=RFC 3339>`` with a readable UTC text; app.js rewrites the text in local
    time (``style``: ``datetime``, ``time`` with seconds, or ``clock`` hours and minutes)."""
    parsed = _parse(moment)
    if parsed is None:
        return Markup("—")
    text = {"time": parsed.strftime("%H:%M:%S UTC"), "clock": parsed.strftime("%H:%M UTC")}.get(
        style, f"{parsed.day} {parsed:%b %Y, %H:%M} UTC")
    machine = parsed.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Markup(f'<time datetime="{escape(machine)}" data-style="{escape(style)}">{escape(text)}</time>')


def topup_status(status: str, failure: str | None = None) -> str:
    if status in ("failed", "expired") and failure:
        return TOPUP_FAILURE.get(failure, f"{TOPUP_STATUS.get(status, status)} ({failure})")
    return TOPUP_STATUS.get(status, status)


def install(app: Flask) -> None:
    """The filters every shop template uses."""
    app.add_template_filter(money, "money")
    app.add_template_filter(order_status, "order_status")
    app.add_template_filter(operator_status, "operator_status")
    app.add_template_filter(event_text, "event_text")
    app.add_template_filter(when, "when")
    app.add_template_filter(topup_status, "topup_status")
    app.add_template_filter(lambda reason: OPERATOR_REASON.get(reason, reason), "reason_text")
    app.add_template_filter(lambda kind: ENTRY_KIND.get(kind, kind), "entry_kind")
    app.add_template_filter(lambda name: SERVICE.get(name, "saga"), "service_of")
