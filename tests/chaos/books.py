"""Reading the run's books straight from the three databases: money and stock snapshots for
before/after, and every order's and top-up's facts for the invariants."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import text

from db.engine import get_engine


def _rows(url: str, sql: str, **params) -> list:
    with get_engine(url).connect() as conn:
        return list(conn.execute(text(sql), params))


@dataclass(frozen=True)
class Money:
    bank_clients: int  # every client account at the bank, balance + held
    merchant: int  # the shop's account at the bank
    wallets: int  # every e-wallet's balance

    @property
    def bank(self) -> int:
        return self.bank_clients + self.merchant


def money(urls: dict, merchant_account: str) -> Money:
    bank = dict(_rows(urls["bank"], "SELECT number = :m, coalesce(sum(balance + held), 0) FROM bank_account "
                                    "GROUP BY number = :m", m=merchant_account))
    (wallets,), = _rows(urls["account"], "SELECT coalesce(sum(balance), 0) FROM e_wallet")
    return Money(int(bank.get(False, 0)), int(bank.get(True, 0)), int(wallets))


def stock(urls: dict) -> dict[int, tuple[int, int]]:
    """product id → (count on hand, reserved)."""
    return {p: (c, r) for p, c, r in _rows(urls["emarket"], "SELECT product_id, count, reserved FROM product_accounting")}


def lowest(urls: dict) -> dict[str, int]:
    """The lowest figure anywhere right now; sampled during the run, none may go below 0."""
    (available, reserved), = _rows(urls["emarket"], "SELECT min(count - reserved), min(reserved) FROM product_accounting")
    (balance,), = _rows(urls["account"], "SELECT min(balance) FROM e_wallet")
    (bank_balance, held), = _rows(urls["bank"], "SELECT min(balance), min(held) FROM bank_account")
    return {"stock available": available, "stock reserved": reserved, "wallet balance": balance,
            "bank balance": bank_balance, "bank held": held}


def orders(urls: dict, user_ids: list[int]) -> dict[str, dict]:
    """Every order of the run's users with its items, events, reservations and ledger rows."""
    found = {oid: {"status": s, "reason": r, "total": t, "user_id": u, "events": [], "items": {}, "reservations": [],
                   "entries": [], "holds": []}
             for oid, s, r, t, u in _rows(urls["emarket"], 'SELECT id, status, reason, total, user_id FROM "order" '
                                                          "WHERE user_id = ANY(:u)", u=user_ids)}
    for oid, name, detail, at in _rows(urls["emarket"], "SELECT order_id, name, detail, at FROM saga_event "
                                                       "ORDER BY order_id, at, id"):
        if oid in found:
            found[oid]["events"].append((name, detail, at))
    for oid, product, quantity in _rows(urls["emarket"], "SELECT order_id, product_id, quantity FROM order_item"):
        if oid in found:
            found[oid]["items"][product] = quantity
    for oid, product, quantity, status in _rows(urls["emarket"], "SELECT order_id, product_id, quantity, status "
                                                                "FROM reservation"):
        if oid in found:
            found[oid]["reservations"].append((product, quantity, status))
    for oid, kind, amount, user in _rows(urls["account"], "SELECT order_id, kind, amount, user_id FROM wallet_entry "
                                                         "WHERE order_id IS NOT NULL"):
        found.setdefault(oid, {"status": "missing", "entries": [], "holds": []})["entries"].append((kind, amount, user))
    for oid, amount, status in _rows(urls["account"], "SELECT order_id, amount, status FROM wallet_hold"):
        found.setdefault(oid, {"status": "missing", "entries": [], "holds": []})["holds"].append((amount, status))
    return found


def topups(urls: dict) -> dict[str, dict]:
    found = {tid: {"status": s, "amount": a, "user_id": u, "hold_id": h, "updated_at": at, "credits": [],
                   "hold": None}
             for tid, s, a, u, h, at in _rows(urls["account"], "SELECT id, status, amount, user_id, hold_id, updated_at "
                                                              "FROM topup")}
    for tid, amount in _rows(urls["account"], "SELECT topup_id, amount FROM wallet_entry WHERE topup_id IS NOT NULL"):
        found.setdefault(tid, {"status": "missing", "credits": [], "hold": None})["credits"].append(amount)
    holds = {hid: (key, status, amount) for hid, key, status, amount in
             _rows(urls["bank"], "SELECT h.id, r.key, h.status, h.amount FROM bank_hold h LEFT JOIN "
                          "idempotent_request r ON r.resource_id = h.id AND r.scope = 'merchant'")}
    by_key: dict[str, list] = defaultdict(list)
    for hid, (key, status, amount) in holds.items():
        by_key[key].append((hid, status, amount))
    for tid, row in found.items():
        row["bank_holds"] = by_key.get(tid, [])
    return found


def wallets(urls: dict) -> dict[int, dict]:
    """user id → balance and the ledger's sum of what went in and out."""
    found = {u: {"balance": b, "ledger": 0}
             for u, b in _rows(urls["account"], "SELECT user_id, balance FROM e_wallet")}
    for user, total in _rows(urls["account"], "SELECT user_id, sum(amount) FROM wallet_entry GROUP BY user_id"):
        found[user]["ledger"] = int(total)
    return found
