"""An operator resumes a stuck saga from ``/admin/sagas``: the worker is stopped mid-saga (the
order stored and its phase-1 message waiting), the broker loses that message, a new worker
starts; the console lists the saga as stuck once the bound has passed, Resume re-drives it as
the sweep would, and its timeline then shows each step's task (linked to Flower), worker and
attempt."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import STUCK_AFTER
from tests.e2e.helpers import WIDTHS, check_and_shoot, create_product, log_in, register_and_log_in


def test_an_operator_resumes_a_stuck_saga(stack, browser, screenshots, operator):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    product = create_product(stack, f"Stuck lamp {tag}", price=4_000, count=3)
    shopper = browser.new_context(viewport=WIDTHS["desktop"]).new_page()
    register_and_log_in(shopper, shop, f"stuck-{tag}@example.com", "a-long-password")

    stack.worker.stop()  # mid-saga: the order will be stored, its next step waits for a worker
    try:
        shopper.goto(f"{shop}/products/{product}")
        shopper.click("form.checkout button[type=submit]")
        shopper.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
        order_id = shopper.url.rsplit("/", 1)[1]
        expect(shopper.locator("#status")).to_have_text("Received")
    finally:
        stack.restart_worker_losing(("order",))  # the broker forgot the phase-1 message

    console = browser.new_context(viewport=WIDTHS["desktop"]).new_page()
    log_in(console, shop, *operator)
    console.goto(f"{shop}/admin/sagas")
    stuck_row = console.locator(f"table.stuck tr[data-order-id='{order_id}']")
    expect(stuck_row).to_be_visible(timeout=(STUCK_AFTER + 10) * 1000)  # the live list shows it
    expect(console.locator(".count[data-status=accepted] .count-figure")).not_to_have_text("0")
    check_and_shoot(console, screenshots, "console-stuck", "desktop", shopper=False)

    stuck_row.get_by_role("button", name=re.compile("Resume")).click()
    expect(console.locator(".flash")).to_contain_text(f"Resumed order {order_id[:8]}")
    console.goto(f"{shop}/admin/sagas/{order_id}")
    expect(console.locator("#status")).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    expect(console.locator("#status")).to_have_text("Waiting for your payment")
    steps = console.locator("#saga-events li")
    expect(steps).to_have_count(4)
    checked = console.locator("li[data-event=stock_checked]")
    expect(checked.locator("a.task-link")).to_have_attribute("href", re.compile(r"/task/[0-9a-f-]{36}$"))
    expect(checked).to_contain_text(stack.worker.name)
    expect(checked).to_contain_text("Attempt")
    expect(shopper.locator("#status")).to_have_text("Waiting for your payment", timeout=10_000)
    check_and_shoot(console, screenshots, "console-saga", "desktop", shopper=False)

    for width in ("desktop", "phone"):
        console.set_viewport_size(WIDTHS[width])
        console.goto(f"{shop}/admin/sagas")
        expect(console.locator(f"table.stuck tr[data-order-id='{order_id}']")).to_have_count(0)
        check_and_shoot(console, screenshots, "console", width, shopper=False)
        console.goto(f"{shop}/admin/sagas/{order_id}")
        check_and_shoot(console, screenshots, "console-saga", width, shopper=False)
        console.goto(f"{shop}/admin/products")
        check_and_shoot(console, screenshots, "admin-products", width, shopper=False)
    console.context.close()
    shopper.context.close()


def test_the_admin_edits_a_product_with_errors_next_to_fields(stack, browser, screenshots, operator):
    tag = uuid.uuid4().hex[:6]
    product = create_product(stack, f"Editable mug {tag}", price=900, count=4)
    page = browser.new_context(viewport=WIDTHS["phone"]).new_page()
    log_in(page, stack.shop.url, *operator)
    page.goto(f"{stack.shop.url}/admin/products")
    form = page.locator(f"form[data-product-id='{product}']")
    form.get_by_label("Price").fill("0")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(f"#p{product}-price-error")).to_be_visible()
    form.get_by_label("Price").fill("12.50")
    form.get_by_label("Units on hand").fill("7")
    form.get_by_label("Name").fill(f"Edited mug {tag}")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".saved")).to_be_visible()
    expect(form.locator("[data-field=available]")).to_have_text("7")
    page.goto(f"{stack.shop.url}/products/{product}")
    expect(page.locator("h1")).to_have_text(f"Edited mug {tag}")
    expect(page.locator(".price")).to_have_text("12.50 USD")
    page.context.close()


def test_a_failed_step_shows_its_error_to_the_operator_and_words_to_the_shopper(stack, browser, screenshots,
                                                                                  operator):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    product = create_product(stack, f"Dear vase {tag}", price=9_900, count=2)
    shopper = browser.new_context(viewport=WIDTHS["desktop"]).new_page()
    email = f"broke-{tag}@example.com"
    register_and_log_in(shopper, shop, email, "a-long-password")
    stack.emarket("wallet", "credit", email, "1000")  # 10.00: not enough for 99.00
    shopper.goto(f"{shop}/products/{product}")
    shopper.click("form.checkout button[type=submit]")
    shopper.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    order_id = shopper.url.rsplit("/", 1)[1]
    expect(shopper.locator("#status")).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    shopper.click("#pay")
    expect(shopper.locator("#status")).to_have_text("Cancelled — not enough money in your wallet", timeout=30_000)
    expect(shopper.locator("#events")).to_contain_text("Payment failed: not enough money in your wallet")
    expect(shopper.locator("#events")).to_contain_text("Items put back on the shelf")
    check_and_shoot(shopper, screenshots, "order-cancelled", "desktop")

    console = browser.new_context(viewport=WIDTHS["desktop"]).new_page()
    log_in(console, shop, *operator)
    console.goto(f"{shop}/admin/sagas?order={order_id}")
    failed = console.locator("li[data-event=charge_failed]")
    expect(failed).to_contain_text("InsufficientFunds")
    expect(failed.locator("a.task-link")).to_have_attribute("href", re.compile(r"/task/[0-9a-f-]{36}$"))
    expect(failed).to_contain_text(stack.worker.name)
    expect(console.locator("li[data-event=stock_released]")).to_be_visible()
    check_and_shoot(console, screenshots, "console-saga-failed", "desktop", shopper=False)
    console.context.close()
    shopper.context.close()
