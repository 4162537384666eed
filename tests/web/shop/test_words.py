"""The pages' words cover every code the saga and the top-ups can produce, so no page ever
falls back to showing a database code to a shopper; times become ``<time>`` elements."""
from __future__ import annotations

from emarket import saga_events, topup
from emarket.order_status import REASONS, TRANSITIONS
from web.shop import words


def test_every_status_reason_event_and_topup_status_has_words():
    assert set(words.ORDER_STATUS) == set(TRANSITIONS)
    assert set(words.CANCEL_REASON) == set(REASONS) == set(words.REASON_TEXT)
    assert set(words.EVENT) == set(saga_events.ALL) == set(words.SERVICE)
    statuses = {topup.INITIATED, topup.PENDING, topup.CAPTURED, *topup.FINAL}
    assert set(words.TOPUP_STATUS) == statuses


def test_statuses_and_events_in_words():
    from emarket.config import Settings, in_force

    with in_force(Settings(currency="EUR")):
        assert words.order_status("cancelled", "out_of_stock") == "Cancelled — not enough stock"
        assert words.order_status("cancelled", "cancelled_by_user") == "Cancelled by you"
        assert words.order_status("completed") == "Paid"
        assert words.event_text("money_charged", "123456") == "1,234.56 EUR paid from your wallet"
        assert words.event_text("cancelled", "cancelled_by_user") == "Order cancelled: at your request"
        assert words.event_text("charge_failed", "insufficient_funds") == "Payment failed: not enough money in your wallet"


def test_times_are_time_elements_readable_in_utc():
    html = str(words.when("2026-12-04T17:52:47.689Z"))
    assert html == '<time datetime="2026-12-04T17:52:47.689Z" data-style="datetime">4 Dec 2026, 17:52 UTC</time>'
    assert str(words.when("2026-12-04T19:32:15.810006+00:00", "time")).endswith(">19:32:15 UTC</time>")
    assert str(words.when(None)) == "—"


def test_a_top_up_that_ended_without_money_says_why():
    assert words.topup_status("failed", "insufficient_funds") == "Refused by the bank: the account holds too little"
    assert words.topup_status("failed", "unknown_account") == "Refused by the bank: it knows no such account"
    # After five wrong PINs the bank released the hold: the shop says so, not "expired".
    assert "released the hold" in words.topup_status("expired", "hold released")
    assert words.topup_status("expired", "hold expired") == "Expired: not confirmed at the bank in time"
    assert words.topup_status("credited") == "Credited to your wallet"
    assert set(words.OPERATOR_REASON) == set(words.CANCEL_REASON)
