"""A shopper with a cart, in headless Chromium at desktop width and at a 375 px phone width:
two products added from the catalogue, a quantity changed, one order placed for both lines
(a double click places one order), paid, and watched to completion — every page fitting its
width, showing times in words, and photographed."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import WIDTHS, check_and_shoot, create_product, register_and_log_in


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_two_products_in_the_cart_make_one_order_paid_and_completed(stack, browser, screenshots, width):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    email, password = f"cart-{tag}@example.com", "a-long-password"
    # Plain names (they are in the README's screenshots); cards are found by product id.
    teapot = create_product(stack, "Cast-iron teapot", price=3_450, count=5,
                            description="A heavy teapot that keeps tea hot for an hour.")
    cups = create_product(stack, "Pair of cups", price=1_200, count=8, description="Two porcelain cups, 250 ml each.")
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    register_and_log_in(page, shop, email, password)
    stack.emarket("wallet", "credit", email, "20000")

    page.goto(shop + "/")
    card = "li.card:has(a[href$='/products/{}'])"
    page.locator(card.format(teapot)).get_by_role("button", name="Add Cast-iron teapot to the cart").click()
    expect(page.locator(".flash")).to_contain_text("Added 1 × Cast-iron teapot")
    page.locator(card.format(cups)).get_by_role("button", name="Add Pair of cups to the cart").click()
    expect(page.locator("#cart-link .badge")).to_have_text("2")
    check_and_shoot(page, screenshots, "catalogue", width)
    page.goto(f"{shop}/products/{teapot}")
    check_and_shoot(page, screenshots, "product", width)

    page.click("#cart-link")
    quantity = page.get_by_label("Quantity of Pair of cups")
    quantity.fill("2")
    quantity.press("Enter")  # Enter updates the cart (its default button), never removes a line
    expect(page.locator("#cart-total")).to_have_text("58.50 USD")  # 34.50 + 2 × 12.00
    page.reload()  # the cart survives a reload
    expect(page.get_by_label("Quantity of Pair of cups")).to_have_value("2")
    check_and_shoot(page, screenshots, "cart", width)

    page.locator("#place-order").dblclick()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    order_id = page.url.rsplit("/", 1)[1]
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    expect(status).to_have_text("Waiting for your payment")
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^\d+:\d\d$"), timeout=5_000)
    expect(page.locator("#items")).to_contain_text("Pair of cups")
    expect(page.locator("#cart-link .badge")).to_have_count(0)
    check_and_shoot(page, screenshots, "order-awaiting-payment", width)
    orders = page.request.get(f"{shop}/api/orders").json()["orders"]
    assert [o["id"] for o in orders] == [order_id]  # the double click placed one order

    page.click("#pay")
    expect(status).to_have_text("Paid", timeout=30_000)
    expect(page.locator("#pay")).to_have_count(0)
    expect(page.locator("#cancel")).to_have_count(0)
    expect(page.locator("#message")).to_be_hidden(timeout=5_000)
    expect(page.locator("#events")).to_contain_text("58.50 USD paid from your wallet")
    expect(page.locator("#events li")).to_have_count(7)  # "registered" is not repeated to the shopper
    check_and_shoot(page, screenshots, "order-paid", width)

    page.goto(f"{shop}/orders")
    expect(page.locator(f"tr[data-order-id='{order_id}']")).to_contain_text("2 × Pair of cups")
    check_and_shoot(page, screenshots, "cabinet", width)
    page.goto(f"{shop}/wallet")
    expect(page.locator("#balance")).to_have_text("141.50 USD")
    check_and_shoot(page, screenshots, "wallet", width)
    for path, name in (("/login", "login"), ("/register", "register")):
        anonymous = browser.new_context(viewport=WIDTHS[width]).new_page()
        anonymous.goto(shop + path)
        check_and_shoot(anonymous, screenshots, name, width)
        anonymous.context.close()
    context.close()


def test_the_cart_works_from_the_keyboard_alone(stack, browser):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    email, password = f"keys-{tag}@example.com", "a-long-password"
    product = create_product(stack, f"Keyboard kettle {tag}", price=2_000, count=3)
    context = browser.new_context(viewport=WIDTHS["phone"])
    page = context.new_page()
    register_and_log_in(page, shop, email, password)
    page.goto(f"{shop}/products/{product}")

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("form.add-to-cart button")
    page.keyboard.press("Enter")
    expect(page.locator("#cart-link .badge")).to_have_text("1")
    tab_to("#cart-link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cart$"))
    tab_to("#place-order")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.locator("#status")).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    tab_to("#cancel")
    page.keyboard.press("Enter")  # Cancel asks first; the keyboard lands on "Yes, cancel it"
    expect(page.locator("#cancel-yes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Cancelled by you", timeout=30_000)
    context.close()


def test_the_order_page_says_when_its_live_updates_lose_the_server(stack, browser):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    product = create_product(stack, f"Offline clock {tag}", price=1_000, count=3)
    context = browser.new_context(viewport=WIDTHS["phone"])
    page = context.new_page()
    register_and_log_in(page, shop, f"offline-{tag}@example.com", "a-long-password")
    page.goto(f"{shop}/products/{product}")
    page.click("form.checkout button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.locator("#status")).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    expect(page.locator("#offline")).to_be_hidden()
    context.set_offline(True)
    expect(page.locator("#offline")).to_be_visible(timeout=10_000)
    expect(page.locator("#offline")).to_contain_text("lost contact with the server")
    context.set_offline(False)
    expect(page.locator("#offline")).to_be_hidden(timeout=10_000)
    context.close()
