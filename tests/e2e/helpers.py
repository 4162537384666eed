"""What the browser tests share: test data written the way an admin's tools would, a shopper
who registers and logs in through the pages, and the checks every page gets at every width
(no sideways scrolling, no raw RFC 3339 time in its text) with its screenshot."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
WIDTHS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 375, "height": 812}}


def create_product(stack, name: str, price: int, count: int, description: str = "for the browser test") -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["EMARKET_DB_EMARKET"])
    with engine.begin() as conn:
        product_id = conn.execute(text(
            "INSERT INTO product_desc (name, description, created_at, updated_at) "
            "VALUES (:n, :d, now(), now()) RETURNING id"), {"n": name, "d": description}).scalar_one()
        conn.execute(text("INSERT INTO product_accounting (product_id, count, reserved, price) "
                          "VALUES (:p, :c, 0, :price)"), {"p": product_id, "c": count, "price": price})
    engine.dispose()
    return product_id


def register_and_log_in(page, shop: str, email: str, password: str, name: str = "Browser Shopper") -> None:
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/login" not in page.url and page.locator("form[action$='/logout']").count():
        return  # the register page logged us in already
    log_in(page, shop, email, password)


def log_in(page, shop: str, email: str, password: str) -> None:
    page.goto(f"{shop}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("form[action$='/logout']")).to_have_count(1)


def check_and_shoot(page, folder: Path, name: str, width: str, shopper: bool = True) -> None:
    """The page fits its width, says no raw RFC 3339 time (shopper pages), and is photographed."""
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}"
    if shopper:
        text = page.inner_text("body")
        assert not RFC3339.search(text), f"{name} shows a raw time: {RFC3339.search(text).group()}"
    page.screenshot(path=str(folder / f"{name}-{WIDTHS[width]['width']}.png"), full_page=True)


def console_errors(page) -> list[str]:
    """Every console error and uncaught exception the page meets from now on (a list that fills
    as they happen)."""
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def unexpected(problems: list[str]) -> list[str]:
    """The console errors left once the 4xx answers of forms that refused input are set aside."""
    return [p for p in problems if not re.search(r"Failed to load resource: the server responded with a status of 4\d\d", p)]


def buy_one(page, shop: str, product_id: int) -> str:
    """"Buy one now" on the product's page; the new order's id, once its page shows."""
    page.goto(f"{shop}/products/{product_id}")
    page.click("form.checkout button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def shopper_with_an_order(stack, browser, width: str, email: str, product_id: int, credit: str | None = None):
    """A new shopper (their wallet credited with ``credit`` minor units, if given) whose order
    for one ``product_id`` waits for payment; their page shows it."""
    page = browser.new_context(viewport=WIDTHS[width]).new_page()
    register_and_log_in(page, stack.shop.url, email, "a-long-password")
    if credit:
        stack.emarket("wallet", "credit", email, credit)
    buy_one(page, stack.shop.url, product_id)
    expect(page.locator("#status")).to_have_attribute("data-status", "awaiting_payment", timeout=30_000)
    return page
