"""In headless Chromium against the real stack: what a shopper put in the cart before logging
in joins the cart saved for them at login, quantities of one product summed."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.e2e.helpers import WIDTHS, create_product, log_in, register_and_log_in


def test_the_anonymous_cart_is_merged_into_the_shoppers_cart_at_login(stack, browser):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    email, password = f"merge-{tag}@example.com", "a-long-password"
    tea = create_product(stack, f"Merged tea {tag}", price=500, count=9)
    cup = create_product(stack, f"Merged cup {tag}", price=700, count=9)
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    register_and_log_in(page, shop, email, password)
    page.goto(f"{shop}/products/{tea}")
    page.get_by_role("button", name=f"Add Merged tea {tag} to the cart").click()
    page.locator("form[action$='/logout'] button").click()
    expect(page.locator("#cart-link .badge")).to_have_count(0)  # logged out: an empty cart

    page.goto(f"{shop}/products/{tea}")  # anonymous now
    page.get_by_role("button", name=f"Add Merged tea {tag} to the cart").click()
    page.goto(f"{shop}/products/{cup}")
    page.get_by_role("button", name=f"Add Merged cup {tag} to the cart").click()
    expect(page.locator("#cart-link .badge")).to_have_text("2")
    log_in(page, shop, email, password)
    page.goto(f"{shop}/cart")
    expect(page.get_by_label(f"Quantity of Merged tea {tag}")).to_have_value("2")  # 1 saved + 1 anonymous
    expect(page.get_by_label(f"Quantity of Merged cup {tag}")).to_have_value("1")
    expect(page.locator("#cart-total")).to_have_text("17.00 USD")  # 2 × 5.00 + 7.00
    context.close()
