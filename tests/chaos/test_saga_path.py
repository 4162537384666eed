"""The timeline validator itself: it accepts the saga's real paths and catches broken ones."""
from __future__ import annotations

import pytest

from emarket.saga_events import FORWARD
from tests.chaos.saga_path import problems

PHASE1 = ["accepted", "registered", "stock_checked", "awaiting_payment"]


def _events(*names: str, reason: str = "") -> list[tuple[str, str]]:
    return [(n, reason if n == "cancelled" else "") for n in names]


@pytest.mark.parametrize("names, reason", [
    (FORWARD, None),
    (PHASE1 + ["cancelled"], "payment_timeout"),
    (PHASE1 + ["cancelled"], "cancelled_by_user"),
    (["accepted", "registered", "stock_check_failed", "cancelled"], "out_of_stock"),
    (PHASE1 + ["payment_started", "stock_reservation_failed", "cancelled"], "out_of_stock"),
    (PHASE1 + ["payment_started", "stock_reserved", "charge_failed", "stock_released", "cancelled"],
     "insufficient_funds"),
    (PHASE1 + ["payment_started", "stock_reserved", "money_charged", "completion_failed", "money_refunded",
               "stock_released", "cancelled"], "failed"),
])
def test_valid_paths(names, reason):
    status = "completed" if reason is None else "cancelled"
    assert problems(_events(*names, reason=reason or ""), status, reason) == []


@pytest.mark.parametrize("names, status, reason, expected", [
    (["registered", "stock_checked"], "processing", None, "instead of accepted"),
    (PHASE1 + ["completed"], "completed", None, "awaiting_payment → completed"),
    (PHASE1 + ["payment_started", "money_charged", "completed"], "completed", None, "money_charged before stock_reserved"),
    (PHASE1 + ["payment_started", "stock_reserved", "money_charged", "cancelled"], "cancelled", "failed",
     "money_charged not undone"),
    (PHASE1 + ["payment_started", "stock_reserved", "cancelled"], "cancelled", "failed", "stock_reserved not undone"),
    (FORWARD + ("money_refunded",), "completed", None, "after completed"),
    (PHASE1 + ["cancelled"], "cancelled", "payment_timeout", "says 'out_of_stock'"),
    (PHASE1, "cancelled", "payment_timeout", "ends awaiting_payment"),
    (["accepted", "stock_checked", "registered"], "processing", None, "stock_checked before registered"),
])
def test_broken_paths(names, status, reason, expected):
    events = _events(*names, reason="out_of_stock" if expected.startswith("says") else (reason or ""))
    found = problems(events, status, reason)
    assert any(expected in p for p in found), found
