"""The auditor: proves the books across the three databases (``emarket saga audit``, and beat
every ``EMARKET_AUDIT_INTERVAL`` seconds through ``saga.audit``).

- every cancelled order has no debit or a refund of the same amount, and no reservation held;
- every completed order has exactly one debit, equal to its total, no refund, and its stock sold;
- every wallet's balance equals the sum of its ledger;
- every captured bank hold of a top-up is credited to the wallet exactly once, for its amount.

The databases are read one after the other in the order the saga writes them, so a saga moving
while the auditor reads is never taken for a gap: the order first (an order is completed or
cancelled only after its debit or refund committed), then the ledger, then the bank (a hold
captured after the ledger was read is younger than ``grace`` and waits for the next audit).

Only the two gaps of a cancelled order are repaired automatically: re-sending its compensation
(refund, release) through the steps that already exist is safe, since each does nothing when
there is nothing to undo. Every other finding names what an operator does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from db.base import utcnow
from db.stores import audit as books
from emarket.storage import unit_of_work

KINDS = ("cancelled_unrefunded_debit", "cancelled_stock_held", "completed_without_debit", "completed_debit_differs",
         "completed_refunded", "completed_not_sold", "wallet_off_ledger", "captured_hold_without_topup",
         "captured_hold_not_credited")
TOPUP_REFERENCE = "emarket top-up "  # emarket.topup.bank_reference: how a top-up's bank hold names it
_RESEND = "the hourly audit re-sends its compensation (refund, release); now: celery -A tasks call saga.audit"
_BY_HAND = "no automatic repair: read `emarket saga show {id}` and the wallet's ledger, then correct by hand"


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str  # "order <id>", "top-up <id>", "wallet of user <id>"
    detail: str
    repair: str
    # A cancelled order whose compensation may safely be sent again.
    compensate_order: str | None = None

    def line(self) -> str:
        return f"{self.kind} {self.subject}: {self.detail}; repair: {self.repair}"


def audit(grace_seconds: float = 120.0, now: datetime | None = None) -> list[Finding]:
    """Every finding in the books now. ``grace_seconds``: how long a captured bank hold may wait
    for its credit (the top-up's poll and sweep) before it counts."""
    with unit_of_work("emarket") as uow:
        conn = uow.connection()
        final, held, not_sold = books.final_orders(conn), books.cancelled_with_held_stock(conn), books.completed_not_sold(conn)
    with unit_of_work("account") as uow:
        conn = uow.connection()
        paid = {p.order_id: p for p in books.payments(conn)}
        gaps, topups = books.wallets_off_their_ledger(conn), {t.id: t for t in books.topup_credits(conn)}
    with unit_of_work("bank") as uow:
        holds = books.captured_holds(uow.connection(), TOPUP_REFERENCE)
    cutoff = (now or utcnow()) - timedelta(seconds=grace_seconds)
    return (_orders(final, set(held), set(not_sold), paid) + _wallets(gaps)
            + _topups([h for h in holds if h.updated_at <= cutoff], topups))


def _orders(final: list[books.FinalOrder], held: set[str], not_sold: set[str],
            paid: dict[str, books.Payment]) -> list[Finding]:
    found = []
    for order in final:
        subject, payment = f"order {order.id}", paid.get(order.id)
        debited = payment.debited if payment else None
        refunded = payment.refunded if payment else None
        if order.status == "cancelled":
            if debited is not None and refunded != debited:
                found.append(Finding("cancelled_unrefunded_debit", subject,
                                     f"cancelled ({order.reason}) with a debit of {debited} and a refund of {refunded or 0}",
                                     _RESEND, order.id))
            if order.id in held:
                found.append(Finding("cancelled_stock_held", subject, f"cancelled ({order.reason}) with stock still reserved",
                                     _RESEND, order.id))
            continue
        by_hand = _BY_HAND.format(id=order.id)
        if debited is None:
            found.append(Finding("completed_without_debit", subject, f"completed with no debit (total {order.total})", by_hand))
        elif debited != order.total:
            found.append(Finding("completed_debit_differs", subject,
                                 f"completed with a debit of {debited}, its total is {order.total}", by_hand))
        if refunded:
            found.append(Finding("completed_refunded", subject, f"completed, yet refunded {refunded}", by_hand))
        if order.id in not_sold:
            found.append(Finding("completed_not_sold", subject, "completed, yet an item's stock is not sold", by_hand))
    return found


def _wallets(gaps: list[books.WalletGap]) -> list[Finding]:
    return [Finding("wallet_off_ledger", f"wallet of user {gap.user_id}",
                    f"balance {gap.balance}, its ledger sums to {gap.ledger}",
                    "no automatic repair: find the write that bypassed the ledger, then set the balance to the ledger's sum")
            for gap in gaps]


def _topups(holds: list[books.CapturedHold], topups: dict[str, books.TopupCredit]) -> list[Finding]:
    found = []
    for hold in holds:
        topup_id = hold.reference.removeprefix(TOPUP_REFERENCE)
        topup = topups.get(topup_id)
        subject = f"top-up {topup_id}"
        if topup is None:
            found.append(Finding("captured_hold_without_topup", subject,
                                 f"bank hold {hold.id} captured {hold.amount} for a top-up the shop does not know",
                                 "no automatic repair: release the money at the bank or credit the wallet by hand"))
        elif topup.credits != 1 or topup.credited != hold.amount:
            found.append(Finding("captured_hold_not_credited", subject,
                                 f"bank hold {hold.id} captured {hold.amount}; the wallet got {topup.credits} credit(s) "
                                 f"of {topup.credited} in all (top-up {topup.status})",
                                 "the top-up sweep (money_add.sweep) credits a captured top-up; "
                                 "otherwise credit the difference with `emarket wallet credit`"))
    return found
