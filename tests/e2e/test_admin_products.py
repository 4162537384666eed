"""Issue 24, finding 2: an admin's product names are trimmed and a blank one is refused next to
its field; creating a product says so; a failed save never shows an earlier "Saved."; a product
hidden from the catalogue leaves it (its orders keep it) and comes back when shown again."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    WIDTHS,
    check_and_shoot,
    console_errors,
    create_product,
    log_in,
    shopper_with_an_order,
    unexpected,
)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_an_admin_creates_edits_hides_and_shows_a_product(stack, browser, screenshots, operator, width):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    page = browser.new_context(viewport=WIDTHS[width]).new_page()
    problems = console_errors(page)
    log_in(page, shop, *operator)
    page.goto(f"{shop}/admin/products")
    if page.locator("details.panel[open]").count() == 0:
        page.locator("details.panel summary").click()
    new = page.locator("form[data-method=POST]")
    new.get_by_label("Name").fill("   ")
    new.get_by_label("Price").fill("4.20")
    new.get_by_label("Units on hand").fill("3")
    new.get_by_role("button", name="Create").click()
    expect(new.locator("#new-name-error")).to_have_text("must not be empty or only spaces")
    new.get_by_label("Name").fill(f"  Blank-free kettle {tag}  ")
    new.get_by_role("button", name="Create").click()
    expect(page.locator("#created")).to_contain_text(f"Created “Blank-free kettle {tag}”")
    form = page.locator("form[data-product-id]", has=page.locator(f"input[value='Blank-free kettle {tag}']"))
    expect(form).to_have_count(1)

    form.get_by_role("button", name="Save").click()
    expect(form.locator(".saved")).to_have_text("Saved.")
    form.get_by_label("Name").fill("   ")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".field-error[data-for=name]")).to_be_visible()
    expect(form.locator(".saved")).to_be_hidden()  # no earlier "Saved." beside a failure
    form.get_by_label("Name").fill(f"Blank-free kettle {tag}")

    form.get_by_role("button", name="Hide from the catalogue").click()
    expect(form.locator("[data-field=shown]")).to_have_text("No: hidden")
    expect(form.locator(".saved")).to_contain_text("Hidden")
    check_and_shoot(page, screenshots, "admin-products-hidden", width, shopper=False)
    shopper = browser.new_context(viewport=WIDTHS[width]).new_page()
    shopper.goto(shop + "/")
    expect(shopper.get_by_text(f"Blank-free kettle {tag}")).to_have_count(0)
    form.get_by_role("button", name="Show in the catalogue").click()
    expect(form.locator("[data-field=shown]")).to_have_text("Yes")
    shopper.reload()
    expect(shopper.get_by_role("link", name=f"Blank-free kettle {tag}")).to_be_visible()
    assert unexpected(problems) == []
    shopper.context.close()
    page.context.close()


def test_an_order_holding_a_hidden_product_is_still_paid(stack, browser, operator):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    product = create_product(stack, f"Soon hidden vase {tag}", price=800, count=4)
    shopper = shopper_with_an_order(stack, browser, "phone", f"hidden-{tag}@example.com", product, credit="5000")
    admin = browser.new_context(viewport=WIDTHS["desktop"]).new_page()
    log_in(admin, shop, *operator)
    admin.goto(f"{shop}/admin/products")
    admin.locator(f"form[data-product-id='{product}']").get_by_role("button", name="Hide from the catalogue").click()
    expect(admin.locator(f"form[data-product-id='{product}'] [data-field=shown]")).to_have_text("No: hidden")
    shopper.click("#pay")
    expect(shopper.locator("#status")).to_have_text("Paid", timeout=30_000)
    expect(shopper.locator("#items")).to_contain_text(f"Soon hidden vase {tag}")
    shopper.locator("#items a").first.click()
    expect(shopper.locator("#not-sold")).to_contain_text("No longer sold")
    admin.context.close()
    shopper.context.close()
