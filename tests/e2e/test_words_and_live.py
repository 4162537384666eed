"""Issue 24, findings 6 to 8, in Chromium: refusals in words next to their field, the bank's
page in words and fit for a phone, a top-up the bank released said the same way by the shop,
the wallet's transactions and an order's status followed live (and announced), the keyboard
kept at "Add to cart", and the small things: stock-bound quantities, a refused cart quantity
kept in its field on /cart, Cancel that asks, one "received" in the timeline, HTML error pages,
an icon and a /docs/ page fit for a phone without console errors."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import (
    RFC3339,
    WIDTHS,
    buy_one,
    check_and_shoot,
    console_errors,
    create_product,
    register_and_log_in,
    unexpected,
)

PIN = "4321"


def _bank_account(stack, balance: int = 100_000) -> str:
    return requests.post(f"{stack.bank.url}/bank/accounts", headers={"X-Api-Key": "dev-admin-key"}, timeout=5,
                         json={"owner": "Browser Shopper", "pin": PIN, "balance": balance}).json()["number"]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_registering_speaks_in_words_next_to_the_field(stack, browser, width):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    page = browser.new_context(viewport=WIDTHS[width]).new_page()
    problems = console_errors(page)
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", f"someone-{tag}@emarket.local")
    page.fill("input[name=password]", "a-long-password")
    page.click("main button[type=submit]")
    error = page.locator("#register-email-error")
    expect(error).to_contain_text("cannot receive mail")
    expect(error).not_to_contain_text("value is not a valid email")
    register_and_log_in(page, shop, f"taken-{tag}@example.com", "a-long-password")
    page.locator("form[action$='/logout'] button").click()
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", f"taken-{tag}@example.com")
    page.fill("input[name=password]", "a-long-password")
    page.click("main button[type=submit]")
    page.locator("#register-email-error").get_by_role("link", name="Log in instead?").click()
    page.wait_for_url(re.compile(r"/login"))
    assert unexpected(problems) == []
    page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_top_up_in_words_at_the_bank_and_live_in_the_wallet(stack, browser, screenshots, width):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    account = _bank_account(stack)
    page = browser.new_context(viewport=WIDTHS[width]).new_page()
    problems = console_errors(page)
    register_and_log_in(page, shop, f"words-{tag}@example.com", "a-long-password")
    page.goto(f"{shop}/wallet")
    expect(page.locator("#no-transactions")).to_be_visible()
    page.get_by_label("Amount").fill("12.00")
    page.get_by_label("Bank account number").fill(account)
    page.get_by_role("button", name="Top up").click()
    row = page.locator("#topup-rows li").first
    expect(row).to_contain_text("Waiting for your confirmation at the bank", timeout=30_000)
    expect(row).to_contain_text(f"account •••• {account[-4:]}")
    expect(row).not_to_contain_text(account)

    bank = page.context.new_page()  # the bank in a tab of its own; the wallet stays open
    bank_problems = console_errors(bank)
    bank.goto(row.get_by_role("link", name="Confirm at the bank").get_attribute("href"))
    expect(bank.locator("#hold-status")).to_have_text("Waiting for your PIN")
    expect(bank.locator("#expires")).to_contain_text(re.compile(r"in \d+ minutes?"))
    assert not RFC3339.search(bank.inner_text("body"))
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", bank.inner_text("main"))
    check_and_shoot(bank, screenshots, "bank-confirm", width)
    bank.fill("#pin", PIN)
    bank.get_by_role("button", name="Confirm payment").click()
    expect(bank.locator("#hold-status")).to_have_text("Paid to the shop")
    assert bank_problems == []

    # The wallet was not reloaded: the credit shows in its transactions, and is announced.
    expect(page.locator("#transaction-rows tr[data-kind=topup]")).to_have_count(1, timeout=30_000)
    expect(page.locator("#balance")).to_have_text("12.00 USD")
    expect(page.locator("#status-announcer")).to_contain_text("Credited to your wallet", timeout=10_000)
    expect(page.locator("#topup-message")).to_be_hidden()
    assert unexpected(problems) == []
    page.context.close()


def _new_shopper_tops_up(stack, browser, who: str, amount: str, bank_balance: int = 100_000):
    """A new shopper on a phone who has just asked for a top-up from a new bank account."""
    account = _bank_account(stack, bank_balance)
    page = browser.new_context(viewport=WIDTHS["phone"]).new_page()
    register_and_log_in(page, stack.shop.url, f"{who}-{uuid.uuid4().hex[:6]}@example.com", "a-long-password")
    page.goto(f"{stack.shop.url}/wallet")
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Bank account number").fill(account)
    page.get_by_role("button", name="Top up").click()
    return page


def test_five_wrong_pins_are_told_alike_by_the_bank_and_the_shop(stack, browser):
    page = _new_shopper_tops_up(stack, browser, "pins", "3.00")
    link = page.locator("#topup-rows li").first.get_by_role("link", name="Confirm at the bank")
    expect(link).to_be_visible(timeout=30_000)
    bank = page.context.new_page()
    bank.goto(link.get_attribute("href"))
    for left in (4, 3, 2, 1):
        bank.fill("#pin", "0000")
        bank.get_by_role("button", name="Confirm payment").click()
        expect(bank.locator(".message")).to_have_text(f"Wrong PIN. {left} attempt{'s' if left > 1 else ''} left.")
    bank.fill("#pin", "0000")
    bank.get_by_role("button", name="Confirm payment").click()
    expect(bank.locator(".message")).to_contain_text("the payment was cancelled and nothing was taken")
    expect(page.locator("#topup-rows li").first).to_contain_text("the bank released the hold", timeout=30_000)
    page.context.close()


def test_a_top_up_the_bank_refused_says_why_and_asks_nothing_more(stack, browser):
    page = _new_shopper_tops_up(stack, browser, "refused", "12.00", bank_balance=100)  # 1.00 at the bank
    row = page.locator("#topup-rows li").first
    expect(row).to_contain_text("Refused by the bank: the account holds too little", timeout=30_000)
    expect(page.locator("#topup-message")).to_be_hidden()  # no "confirm it at your bank" left standing
    page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_small_things_of_a_shoppers_way(stack, browser, screenshots, width):
    shop, tag = stack.shop.url, uuid.uuid4().hex[:6]
    email = f"small-{tag}@example.com"
    product = create_product(stack, f"Small jug {tag}", price=500, count=3)
    page = browser.new_context(viewport=WIDTHS[width]).new_page()
    problems = console_errors(page)
    register_and_log_in(page, shop, email, "a-long-password")
    expect(page.locator("#who")).to_contain_text(email)
    expect(page.locator("footer")).not_to_contain_text("saga")

    page.goto(f"{shop}/products/{product}")
    expect(page.get_by_label("Quantity")).to_have_attribute("max", "3")  # no more than the stock
    page.get_by_role("button", name=f"Add Small jug {tag} to the cart").click()
    expect(page.locator("#cart-link .badge")).to_have_text("1")
    expect(page.locator(f"#add-{product}")).to_be_focused()  # the keyboard stays where it was

    page.goto(f"{shop}/cart")
    quantity = page.get_by_label(f"Quantity of Small jug {tag}")
    quantity.fill("0")
    quantity.press("Enter")
    page.wait_for_url(f"{shop}/cart")
    expect(quantity).to_have_value("0")  # what was typed, beside its error
    expect(page.locator(f"#line-error-{product}")).to_contain_text("Choose a quantity from 1 to 1000")

    order_id = buy_one(page, shop, product)
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    expect(page.locator("#events")).not_to_contain_text("Order registered")
    page.click("#cancel")
    expect(page.locator("#cancel-ask")).to_contain_text("Cancel this order?")
    page.click("#cancel-no")
    expect(status).to_have_attribute("data-status", "awaiting_payment")
    page.click("#cancel")
    page.click("#cancel-yes")
    expect(status).to_have_text("Cancelled by you", timeout=30_000)
    expect(page.locator("#status-announcer")).to_have_text("Order status: Cancelled by you", timeout=10_000)
    check_and_shoot(page, screenshots, "order-cancelled-by-you", width)
    assert order_id in page.url
    assert unexpected(problems) == []

    for base in (shop, stack.auth.url, stack.bank.url):
        assert requests.get(f"{base}/favicon.ico", timeout=5).status_code == 200
        docs = page.context.new_page()
        docs_problems = console_errors(docs)
        docs.goto(f"{base}/docs/")
        expect(docs.get_by_role("link", name=re.compile("Swagger UI"))).to_be_visible()
        check_and_shoot(docs, screenshots, f"docs-{base.rsplit(':', 1)[1]}", width, shopper=False)
        docs.goto(f"{base}/nope")
        expect(docs.locator("h1")).to_have_text(re.compile("Not found"))
        assert unexpected(docs_problems) == [] and len(docs_problems) <= 1  # the 404 itself
        docs.close()
    page.goto(stack.bank.url + "/")
    expect(page.locator("h1")).to_have_text("Mbank")
    page.context.close()
