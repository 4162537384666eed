"""Security headers on every page (and error page) of the shop and on the bank's PIN page:
a Content-Security-Policy that allows no inline script and no framing, nosniff, and
X-Frame-Options DENY for older browsers."""
from __future__ import annotations

import pytest

from tests.security.stack import BANK_ADMIN, BANK_MERCHANT
from tests.support import seed
from tests.support.tokens import mint


def assert_secure_headers(response, where):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("frame-ancestors") == ["'none'"] or response.headers.get("X-Frame-Options") == "DENY", where
    assert "'unsafe-inline'" not in directives.get("script-src", directives.get("default-src", [])), (where, csp)
    assert "'unsafe-eval'" not in csp, (where, csp)
    assert "default-src" in directives, (where, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where


@pytest.fixture
def product(shop):
    return seed.product(count=5)


def test_every_shop_page_sends_the_security_headers(shop, product):
    anonymous = ["/", f"/products/{product}", "/login", "/register", "/no-such-page", "/products/999999",
                 "/static/style.css", "/api/products", "/api/openapi.json", "/api/no-such"]
    for path in anonymous:
        assert_secure_headers(shop.get(path), path)
    user = seed.user()
    shop.set_cookie("access_token_cookie", mint(user, ["admin"], csrf="c"))
    for path in ["/orders", "/wallet", "/admin/products", "/orders/7b0c9c0e-0000-4000-8000-000000000000"]:
        response = shop.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_secure_headers(response, path)
    assert_secure_headers(shop.post("/login", data={}), "POST /login without CSRF")


def test_the_banks_pin_page_sends_the_security_headers(bank):
    number = bank.post("/bank/accounts", json={"owner": "Ann", "pin": "1234", "balance": 5_000},
                       headers=BANK_ADMIN).get_json()["number"]
    hold = bank.post("/bank/holds", json={"account": number, "amount": 700, "reference": "r"},
                     headers=BANK_MERCHANT).get_json()
    for response, where in ((bank.get(f"/bank/confirm/{hold['id']}"), "the PIN page"),
                            (bank.get("/bank/confirm/7b0c9c0e-0000-4000-8000-000000000000"), "its 404"),
                            (bank.post(f"/bank/confirm/{hold['id']}", data={"pin": "0000"}), "a refused post")):
        assert_secure_headers(response, where)
