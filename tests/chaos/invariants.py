"""The invariants a chaos run must end with. Each check returns the list of what broke it
(empty: it holds); ``check_all`` names them as docs/reliability.md does."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from emarket import order_status as st
from emarket import topup as topups
from tests.chaos import saga_path
from tests.chaos.books import Money


def orders_final(placed: set[str], orders: dict[str, dict]) -> list[str]:
    found = [f"order {oid} lost (placed, not in the database)" for oid in placed - set(orders)]
    found += [f"order {oid} is in the database but no user placed it" for oid in set(orders) - placed]
    found += [f"order {oid} ended {o['status']}" for oid, o in orders.items() if o["status"] not in st.FINAL]
    return found


def topups_final(created: set[str], rows: dict[str, dict]) -> list[str]:
    found = [f"top-up {tid} lost" for tid in created - set(rows)]
    found += [f"top-up {tid} is in the database but nobody asked for it" for tid in set(rows) - created]
    found += [f"top-up {tid} ended {t['status']}" for tid, t in rows.items() if t["status"] not in topups.FINAL]
    return found


def final_in_time(orders: dict, rows: dict, stopped_at: datetime, bound: float) -> tuple[list[str], float, int]:
    """(problems, the longest time to final after the faults stopped, how many became final after)."""
    late = []
    for _oid, order in orders.items():
        ends = [at for name, _, at in order.get("events", []) if name in ("completed", "cancelled")]
        if ends:
            late.append((ends[0] - stopped_at).total_seconds())
    late += [(t["updated_at"] - stopped_at).total_seconds() for t in rows.values() if t["status"] in topups.FINAL]
    after = [s for s in late if s > 0]
    longest = max(after, default=0.0)
    found = [f"something became final {longest:.1f} s after the faults stopped (bound {bound:.0f} s)"] \
        if longest > bound else []
    return found, longest, len(after)


def stock_conserved(initial: dict[int, int], now: dict[int, tuple[int, int]], orders: dict) -> list[str]:
    sold: Counter = Counter()
    held: Counter = Counter()
    for order in orders.values():
        for product, quantity, status in order.get("reservations", []):
            if status == "sold":
                sold[product] += quantity
            elif status == "held":
                held[product] += quantity
    sold_by_orders: Counter = Counter()
    for order in orders.values():
        if order["status"] == st.COMPLETED:
            sold_by_orders.update(order["items"])
    found = []
    for product, start in initial.items():
        count, reserved = now[product]
        available = count - reserved
        if start != available + sold[product] + reserved:
            found.append(f"product {product}: initial {start} ≠ available {available} + sold {sold[product]} "
                         f"+ reserved {reserved}")
        if reserved or held[product]:
            found.append(f"product {product}: {reserved} still reserved ({held[product]} in held reservations)")
        if sold[product] != sold_by_orders[product]:
            found.append(f"product {product}: {sold[product]} sold, completed orders hold {sold_by_orders[product]}")
        if count < 0 or available < 0:
            found.append(f"product {product}: negative stock ({count}, {reserved})")
    for oid, order in orders.items():
        statuses = {status for _, _, status in order.get("reservations", [])}
        if order["status"] == st.COMPLETED and (statuses != {"sold"} or
                                                {p: q for p, q, _ in order["reservations"]} != order["items"]):
            found.append(f"completed order {oid}: reservations {order['reservations']} vs items {order['items']}")
        if order["status"] == st.CANCELLED and statuses - {"released"}:
            found.append(f"cancelled order {oid}: reservations {order['reservations']}")
    return found


def never_negative(lowest: dict[str, int]) -> list[str]:
    return [f"{what} went down to {value}" for what, value in lowest.items() if value is not None and value < 0]


def money_conserved(before: Money, after: Money, orders: dict, rows: dict) -> list[str]:
    spent = sum(o["total"] or 0 for o in orders.values() if o["status"] == st.COMPLETED)
    credited = sum(sum(t["credits"]) for t in rows.values())
    found = []
    if before.bank != after.bank:
        found.append(f"the bank's total moved: {before.bank} → {after.bank}")
    if before.bank_clients + before.wallets != after.bank_clients + after.wallets + spent:
        found.append(f"clients' bank accounts + wallets {before.bank_clients + before.wallets} before ≠ "
                     f"{after.bank_clients + after.wallets} after + {spent} spent on completed orders")
    if after.merchant - before.merchant != credited:
        found.append(f"the merchant received {after.merchant - before.merchant}, wallets were credited {credited}")
    return found


def one_debit_per_order(orders: dict) -> list[str]:
    found = []
    for oid, order in orders.items():
        kinds = Counter(kind for kind, _, _ in order["entries"])
        amounts = {kind: amount for kind, amount, _ in order["entries"]}
        users = {user for _, _, user in order["entries"]}
        if any(n > 1 for n in kinds.values()) or len(order["holds"]) > 1:
            found.append(f"order {oid}: charged more than once {order['entries']} {order['holds']}")
        if users and users != {order.get("user_id")}:
            found.append(f"order {oid}: ledger rows on another user's wallet {order['entries']}")
        if order["status"] == st.COMPLETED:
            if kinds != Counter(debit=1) or amounts["debit"] != -order["total"]:
                found.append(f"completed order {oid} (total {order['total']}): ledger {order['entries']}")
        elif order["status"] == st.CANCELLED:
            if kinds and (kinds != Counter(debit=1, refund=1) or amounts["refund"] != -amounts["debit"]):
                found.append(f"cancelled order {oid}: ledger {order['entries']}")
        else:
            found.append(f"order {oid} ({order['status']}) has money rows {order['entries']}")
    return found


def topups_credited_once(rows: dict) -> list[str]:
    found = []
    for tid, row in rows.items():
        holds = row.get("bank_holds", [])
        captured = [h for h in holds if h[1] == "captured"]
        if len(holds) > 1:
            found.append(f"top-up {tid}: {len(holds)} holds at the bank")
        if captured:
            if row["status"] != topups.CREDITED or row["credits"] != [row["amount"]] or captured[0][2] != row["amount"]:
                found.append(f"top-up {tid}: captured at the bank, {row['status']} with credits {row['credits']}")
        elif row["credits"] or row["status"] in (topups.CAPTURED, topups.CREDITED):
            found.append(f"top-up {tid}: {row['status']} with credits {row['credits']} but no captured hold {holds}")
        if row["status"] == topups.EXPIRED and any(h[1] == "pending_confirmation" for h in holds):
            found.append(f"top-up {tid}: expired while its hold is still pending at the bank")
    return found


def wallets_match_ledger(initial: dict[int, int], now: dict[int, dict]) -> list[str]:
    return [f"wallet {user}: {w['balance']} ≠ {initial[user]} at the start + ledger {w['ledger']}"
            for user, w in now.items() if user in initial and w["balance"] != initial[user] + w["ledger"]]


def valid_saga_paths(orders: dict) -> list[str]:
    found = []
    for oid, order in orders.items():
        events = [(name, detail) for name, detail, _ in order.get("events", [])]
        for problem in saga_path.problems(events, order["status"], order.get("reason")):
            found.append(f"order {oid}: {problem} — {[name for name, _ in events]}")
    return found
