"""The auditor on planted inconsistencies, one of each kind, in the real databases: `emarket
saga audit` finds every one (a line each, naming it, then the count, exit 1); the beat task
`saga.audit`, run by a real worker, re-sends the compensation of the cancelled orders (refund,
release) and keeps its report for /metrics; the next audit finds those gone, and the books
corrected by hand audit clean. The integration databases hold other tests' orders too: only the
planted subjects are looked at."""
from __future__ import annotations

from click.testing import CliRunner

from emarket import audit, audit_report
from emarket.cli import main
from tasks.audit import audit_books
from tasks.metrics import SagaCollector
from tests.integration.saga_helpers import placed_and_paid
from tests.support import books, seed
from tests.support.wait import wait_until


def _planted() -> dict[str, str]:
    """One subject per kind of finding: kind -> the order, top-up or wallet it names."""
    user = books.new_user()
    tea, cake = seed.product(count=50, price=100), seed.product(count=50, price=100)
    # Cancelled by the payment clock, then charged by a late duplicate of the charge.
    debited = books.order("cancelled", user, [(tea, 3)], 300, reason="payment_timeout")
    books.charge(user, debited, 300)
    # Cancelled, then reserved by a late duplicate of the reservation.
    held = books.order("cancelled", user, [(cake, 2)], 200, reason="payment_timeout")
    books.reserve(held, [(cake, 2)])
    unpaid = books.order("completed", user, [(tea, 1)], 100)
    books.reserve(unpaid, [(tea, 1)], sell=True)
    short = books.order("completed", user, [(tea, 2)], 200)
    books.reserve(short, [(tea, 2)], sell=True)
    books.charge(user, short, 150)
    refunded = books.order("completed", user, [(cake, 1)], 100)
    books.reserve(refunded, [(cake, 1)], sell=True)
    books.charge(user, refunded, 100)
    books.refund(refunded)
    unsold = books.order("completed", user, [(cake, 1)], 100)
    books.charge(user, unsold, 100)
    drifted = books.new_user()
    books.off_ledger(drifted, 7)
    stray = "00000000-0000-4000-8000-" + debited[-12:]
    books.captured_hold(500, stray)
    uncredited = books.captured_topup(books.new_user(), 700)
    return {"cancelled_unrefunded_debit": f"order {debited}", "cancelled_stock_held": f"order {held}",
            "completed_without_debit": f"order {unpaid}", "completed_debit_differs": f"order {short}",
            "completed_refunded": f"order {refunded}", "completed_not_sold": f"order {unsold}",
            "wallet_off_ledger": f"wallet of user {drifted}", "captured_hold_without_topup": f"top-up {stray}",
            "captured_hold_not_credited": f"top-up {uncredited}"}


def _mine(planted: dict[str, str]) -> set[tuple[str, str]]:
    subjects = set(planted.values())
    return {(f.kind, f.subject) for f in audit.audit(grace_seconds=60) if f.subject in subjects}


def test_each_planted_inconsistency_is_found_and_the_cancelled_orders_repaired(worker):
    planted = _planted()
    assert set(planted) == set(audit.KINDS)

    out = CliRunner().invoke(main, ["saga", "audit", "--grace", "60"])
    assert out.exit_code == 1, out.output
    lines = out.output.splitlines()
    for kind, subject in planted.items():
        assert any(line.startswith(f"{kind} {subject}: ") and "; repair: " in line for line in lines), (kind, out.output)
    assert lines[-1] == f"{len(lines) - 1} findings"

    audit_books.delay()
    repairable = {("cancelled_unrefunded_debit", planted["cancelled_unrefunded_debit"]),
                  ("cancelled_stock_held", planted["cancelled_stock_held"])}
    wait_until(lambda: not (_mine(planted) & repairable), timeout=30, what="the compensations the audit re-sent")
    assert _mine(planted) == {(k, s) for k, s in planted.items()} - repairable
    debited = planted["cancelled_unrefunded_debit"].removeprefix("order ")
    assert [e.amount for e in seed.entries(debited, "refund")] == [300]

    report = wait_until(audit_report.last, timeout=10, what="the audit's report")
    assert report["repaired"] >= 2 and report["by_kind"]["wallet_off_ledger"] >= 1
    gauges = {(m.name, s.labels.get("kind")): s.value for m in SagaCollector().collect() for s in m.samples
              if m.name.startswith("emarket_audit")}
    assert gauges[("emarket_audit_findings", "captured_hold_not_credited")] >= 1
    assert ("emarket_audit_last_run_timestamp_seconds", None) in gauges


def test_a_clean_book_has_no_finding_of_its_own(worker):
    """A saga run to completion through the real steps leaves nothing for the auditor."""
    user = books.new_user(balance=1_000)
    done = placed_and_paid(user, [(seed.product(price=100), 2)])
    assert done.status == "completed"
    found = [f for f in audit.audit(grace_seconds=60) if done.id in f.subject or f.subject == f"wallet of user {user}"]
    assert found == []
