"""A top-up seen live on the wallet page: started from the form, waiting for the shopper's
confirmation at the bank (with the link to it), confirmed there with the PIN, credited — and
the form's errors shown next to its fields."""
from __future__ import annotations

import uuid

import requests
from playwright.sync_api import expect

from tests.e2e.helpers import WIDTHS, check_and_shoot, register_and_log_in

PIN = "4321"


def test_a_top_up_shows_its_progress_live(stack, browser, screenshots):
    email, password = f"topup-{uuid.uuid4().hex[:8]}@example.com", "a-long-password"
    account = requests.post(f"{stack.bank.url}/bank/accounts", headers={"X-Api-Key": "dev-admin-key"}, timeout=5,
                            json={"owner": "Browser Shopper", "pin": PIN, "balance": 100_000}).json()["number"]
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    register_and_log_in(page, stack.shop.url, email, password)
    page.goto(f"{stack.shop.url}/wallet")

    page.get_by_label("Amount").fill("0")
    page.get_by_label("Bank account number").fill("12ab")
    page.get_by_role("button", name="Top up").click()
    expect(page.locator("#topup-amount-error")).to_be_visible()
    expect(page.locator("#topup-account-error")).to_be_visible()
    expect(page.get_by_label("Amount")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Amount").fill("25.00")
    page.get_by_label("Bank account number").fill(account)
    page.get_by_role("button", name="Top up").click()
    row = page.locator("#topup-rows li").first
    expect(row).to_contain_text("Waiting for your confirmation at the bank", timeout=30_000)
    expect(row).to_contain_text("25.00 USD")
    check_and_shoot(page, screenshots, "wallet-topup-waiting", "desktop")

    row.get_by_role("link", name="Confirm at the bank").click()
    page.fill("#pin", PIN)
    page.get_by_role("button", name="Confirm payment").click()
    page.get_by_role("link", name="Back to the shop's wallet").click()
    expect(page.locator("#topup-rows li").first).to_contain_text("Credited to your wallet", timeout=30_000)
    expect(page.locator("#balance")).to_have_text("25.00 USD", timeout=10_000)
    check_and_shoot(page, screenshots, "wallet-topup-credited", "desktop")
    context.close()
