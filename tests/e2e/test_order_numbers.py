"""Issue 24, findings 4 and 5: "My orders" tells orders apart by their number, items and total;
the operator's console finds an order by that number (what a shopper reads out), explains an
unknown one on its own page, shows the shopper's email and the reason in words, and filters
its list by a count tile."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    WIDTHS,
    buy_one,
    check_and_shoot,
    console_errors,
    create_product,
    log_in,
    register_and_log_in,
    unexpected,
)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_orders_are_told_apart_and_found_by_their_number(stack, browser, screenshots, operator, width):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    mug = create_product(stack, f"Numbered mug {tag}", price=300, count=9)
    bowl = create_product(stack, f"Numbered bowl {tag}", price=450, count=9)
    email = f"numbers-{tag}@example.com"
    shopper = browser.new_context(viewport=WIDTHS[width]).new_page()
    problems = console_errors(shopper)
    register_and_log_in(shopper, shop, email, "a-long-password")
    first, second = buy_one(shopper, shop, mug), buy_one(shopper, shop, bowl)
    expect(shopper.locator("#status")).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    shopper.click("#cancel")
    shopper.click("#cancel-yes")  # Cancel asks first
    expect(shopper.locator("#status")).to_have_text("Cancelled by you", timeout=30_000)

    shopper.goto(f"{shop}/orders")
    for order_id, name, total in ((first, "mug", "3.00 USD"), (second, "bowl", "4.50 USD")):
        row = shopper.locator(f"tr[data-order-id='{order_id}']")
        expect(row.get_by_role("link", name=f"Order {order_id[:8]}")).to_be_visible()
        expect(row).to_contain_text(f"1 × Numbered {name} {tag}")
        expect(row).to_contain_text(total)
    check_and_shoot(shopper, screenshots, "cabinet-numbers", width)
    assert unexpected(problems) == []

    console = browser.new_context(viewport=WIDTHS[width]).new_page()
    problems = console_errors(console)
    log_in(console, shop, *operator)
    console.goto(f"{shop}/admin/sagas")
    console.get_by_label("Find an order's saga").fill(second[:8])
    console.get_by_role("button", name="Show").click()
    console.wait_for_url(f"{shop}/admin/sagas/{second}")
    expect(console.locator("#saga-user")).to_have_text(email)
    expect(console.locator("#status")).to_have_text("Cancelled — by the shopper")
    check_and_shoot(console, screenshots, "console-found-by-number", width, shopper=False)

    console.goto(f"{shop}/admin/sagas?order=00000000")
    expect(console.locator("#unknown-order")).to_contain_text("first 8 characters")
    expect(console.get_by_role("link", name="← All sagas")).to_be_visible()

    console.goto(f"{shop}/admin/sagas")
    console.locator(".count[data-status=cancelled] a").click()
    console.wait_for_url(f"{shop}/admin/sagas?status=cancelled")
    latest = console.locator("table.recent")
    expect(latest.locator(f"tr[data-order-id='{second}']")).to_contain_text(email)
    expect(latest.locator("span.status")).not_to_have_count(0)
    expect(latest.locator("span.status:not(.status-cancelled)")).to_have_count(0)  # only the tile's status
    expect(latest).not_to_contain_text("cancelled_by_user")
    check_and_shoot(console, screenshots, "console-filtered", width, shopper=False)
    assert unexpected(problems) == []
    console.context.close()
    shopper.context.close()
