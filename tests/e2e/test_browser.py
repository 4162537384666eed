"""A shopper in headless Chromium against the real stack: register, log in, order, see it
awaiting payment, pay, and watch the cabinet row turn completed without a reload; an order
left unpaid turns cancelled (payment_timeout) in the cabinet on its own."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import PAYMENT_TIMEOUT
from tests.e2e.helpers import create_product as _create_product
from tests.e2e.helpers import register_and_log_in as _register_and_log_in


def _order(page, shop: str, product_id: int) -> str:
    page.goto(f"{shop}/products/{product_id}")
    page.click("form.checkout button[type=submit]")  # "Buy one now"
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def _shopper(stack, browser, who: str):
    """A new shopper registered and logged in, in a browser context of their own."""
    email = f"{who}-{uuid.uuid4().hex[:8]}@example.com"
    context = browser.new_context()
    page = context.new_page()
    _register_and_log_in(page, stack.shop.url, email, "a-long-password")
    return context, page, email


def test_shopper_orders_pays_and_watches_the_cabinet(stack, browser, screenshots):
    product_id = _create_product(stack, "Browser-tested teapot", price=2_500, count=5)
    context, page, email = _shopper(stack, browser, "shopper")
    stack.emarket("wallet", "credit", email, "10000")

    order_id = _order(page, stack.shop.url, product_id)
    expect(page.locator("#status")).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    expect(page.locator("#status")).to_have_text("Waiting for your payment")
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^\d+:\d\d$"), timeout=5_000)

    cabinet = context.new_page()
    cabinet.goto(f"{stack.shop.url}/orders")
    row = cabinet.locator(f"tr[data-order-id='{order_id}'] [data-field=status]")
    expect(row).to_have_text("Waiting for your payment", timeout=10_000)

    page.click("#pay")
    expect(page.locator("#status")).to_have_text("Paid", timeout=30_000)
    expect(page.locator("#events")).to_contain_text("25.00 USD paid from your wallet")

    # The cabinet was not reloaded: its row turns completed by itself.
    expect(row).to_have_attribute("data-status", "completed", timeout=30_000)
    context.close()


def test_unpaid_order_turns_cancelled_in_the_cabinet_on_its_own(stack, browser, screenshots):
    product_id = _create_product(stack, "Browser-tested cup", price=700, count=5)
    context, page, _email = _shopper(stack, browser, "idle")
    order_id = _order(page, stack.shop.url, product_id)
    expect(page.locator("#status")).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)

    page.goto(f"{stack.shop.url}/orders")
    status = page.locator(f"tr[data-order-id='{order_id}'] [data-field=status]")
    expect(status).to_have_attribute("data-status", "cancelled", timeout=(PAYMENT_TIMEOUT + 30) * 1000)
    expect(status).to_have_attribute("data-reason", "payment_timeout")
    expect(status).to_have_text("Cancelled — not paid in time")
    context.close()
