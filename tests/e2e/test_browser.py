"""A shopper in headless Chromium against the real stack: register, log in, order, see it
awaiting payment, pay, and watch the cabinet row turn completed without a reload; an order
left unpaid turns cancelled (payment_timeout) in the cabinet on its own."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import PAYMENT_TIMEOUT


def _create_product(stack, name: str, price: int, count: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["EMARKET_DB_EMARKET"])
    with engine.begin() as conn:
        product_id = conn.execute(text(
            "INSERT INTO product_desc (name, description, created_at, updated_at) "
            "VALUES (:n, 'for the browser test', now(), now()) RETURNING id"), {"n": name}).scalar_one()
        conn.execute(text("INSERT INTO product_accounting (product_id, count, reserved, price) "
                          "VALUES (:p, :c, 0, :price)"), {"p": product_id, "c": count, "price": price})
    engine.dispose()
    return product_id


def _register_and_log_in(page, shop: str, email: str, password: str) -> None:
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=name]", "Browser Shopper")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login" not in page.url and page.locator("form[action$='/logout']").count():
        return  # the register page logged us in already
    page.goto(f"{shop}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("form[action$='/logout']")).to_have_count(1)


def _order(page, shop: str, product_id: int) -> str:
    page.goto(f"{shop}/products/{product_id}")
    page.click("form.checkout button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def test_shopper_orders_pays_and_watches_the_cabinet(stack, browser, screenshots):
    email, password = f"shopper-{uuid.uuid4().hex[:8]}@example.com", "a-long-password"
    product_id = _create_product(stack, "Browser-tested teapot", price=2_500, count=5)
    context = browser.new_context()
    page = context.new_page()
    _register_and_log_in(page, stack.shop.url, email, password)
    stack.emarket("wallet", "credit", email, "10000")

    order_id = _order(page, stack.shop.url, product_id)
    expect(page.locator("#status")).to_have_text("awaiting_payment", timeout=30_000)
    expect(page.locator("#countdown")).not_to_have_text("…", timeout=5_000)

    cabinet = context.new_page()
    cabinet.goto(f"{stack.shop.url}/orders")
    row = cabinet.locator(f"tr[data-order-id='{order_id}'] [data-field=status]")
    expect(row).to_have_text("awaiting_payment", timeout=10_000)

    page.click("#pay")
    expect(page.locator("#status")).to_have_text("completed", timeout=30_000)
    expect(page.locator("#events")).to_contain_text("money_charged")
    page.screenshot(path=str(screenshots / "order-page.png"), full_page=True)

    # The cabinet was not reloaded: its row turns completed by itself.
    expect(row).to_have_text("completed", timeout=30_000)
    cabinet.screenshot(path=str(screenshots / "cabinet.png"), full_page=True)
    context.close()


def test_unpaid_order_turns_cancelled_in_the_cabinet_on_its_own(stack, browser, screenshots):
    email, password = f"idle-{uuid.uuid4().hex[:8]}@example.com", "a-long-password"
    product_id = _create_product(stack, "Browser-tested cup", price=700, count=5)
    context = browser.new_context()
    page = context.new_page()
    _register_and_log_in(page, stack.shop.url, email, password)
    order_id = _order(page, stack.shop.url, product_id)
    expect(page.locator("#status")).to_have_text("awaiting_payment", timeout=30_000)

    page.goto(f"{stack.shop.url}/orders")
    row = page.locator(f"tr[data-order-id='{order_id}']")
    expect(row.locator("[data-field=status]")).to_have_text("cancelled", timeout=(PAYMENT_TIMEOUT + 30) * 1000)
    expect(row.locator("[data-field=reason]")).to_have_text("payment_timeout")
    page.screenshot(path=str(screenshots / "cabinet-timed-out.png"), full_page=True)
    context.close()
