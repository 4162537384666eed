"""CSRF: every form of the pages, and every write the pages' scripts make with the cookies, is
refused without its CSRF token (or with a wrong or someone else's), and changes nothing.

The pages refuse in two ways (both are refusals; which is the pages' choice): the anonymous
forms (log in, register) check a token kept in the signed session → 403; the logged-in ones
(order, log out, and the scripts' JSON writes) use flask-jwt-extended's double submit → 401."""
from __future__ import annotations

import re

import pytest

from tests.security.stack import BANK_ADMIN, BANK_MERCHANT
from tests.support import seed
from tests.support.tokens import mint

CSRF = "the-csrf-of-this-session"
LOGIN_FORM = {"email": "ann@example.com", "password": "correct horse battery", "next": "/"}
REGISTER_FORM = {"email": "eve@example.com", "password": "correct horse battery", "name": "Eve"}


def hidden_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)


def log_in(client, user_id: int, roles=()) -> None:
    client.set_cookie("access_token_cookie", mint(user_id, roles, csrf=CSRF))
    client.set_cookie("csrf_access_token", CSRF)


def refused(response, statuses=(401, 403)):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    assert "access_token_cookie=;" not in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("path, form", [("/login", LOGIN_FORM), ("/register", REGISTER_FORM)])
def test_anonymous_forms_without_a_valid_token_are_403(shop_app, shop, path, form, unchanged):
    token = hidden_csrf(shop.get(path).get_data(as_text=True))  # this visitor has a session now
    stranger = shop_app.test_client()
    strangers_token = hidden_csrf(stranger.get(path).get_data(as_text=True))
    with unchanged():
        refused(shop.post(path, data=form), (403,))
        refused(shop.post(path, data={**form, "csrf_token": ""}), (403,))
        refused(shop.post(path, data={**form, "csrf_token": token[:-1] + "x"}), (403,))
        refused(shop.post(path, data={**form, "csrf_token": strangers_token}), (403,))
        # A cross-site post arrives without the visitor's session cookie at all.
        refused(shop_app.test_client().post(path, data={**form, "csrf_token": token}), (403,))


def test_the_order_form_without_its_token_places_nothing(shop, unchanged):
    user, tea = seed.user(balance=5_000), seed.product(count=5)
    log_in(shop, user)
    form = {"quantity": "1", "idempotency_key": "k-1"}
    with unchanged():
        for token in (None, "", "wrong", CSRF + "x"):
            data = form if token is None else {**form, "csrf_token": token}
            refused(shop.post(f"/products/{tea}/order", data=data))
    assert seed.count_orders(user) == 0


def test_log_out_without_its_token_keeps_the_visitor_logged_in(shop, unchanged):
    user = seed.user()
    log_in(shop, user)
    with unchanged():
        refused(shop.post("/logout", data={}))
        refused(shop.post("/logout", data={"csrf_token": "wrong"}))
    assert shop.get("/orders").status_code == 200


def test_the_scripts_json_writes_need_the_csrf_header(shop, ann_order, unchanged):
    ann, order_id = ann_order
    tea = seed.product(count=5)
    log_in(shop, ann, ["admin"])
    writes = [
        ("post", "/api/orders", {"items": [{"product_id": tea, "quantity": 1}]}),
        ("post", f"/api/orders/{order_id}/payment", {}),
        ("post", f"/api/orders/{order_id}/cancel", {}),
        ("post", "/api/products", {"name": "Forged", "price": 1, "count": 1}),
        ("patch", f"/api/products/{tea}", {"price": 1, "count": 0}),
        ("post", "/api/wallet/topups", {"amount": 100, "bank_account": "123456"}),
    ]
    with unchanged():
        for method, path, body in writes:
            for headers in ({}, {"X-CSRF-TOKEN": ""}, {"X-CSRF-TOKEN": "wrong"}):
                refused(getattr(shop, method)(path, json=body, headers=headers), (401,))
            # As a form post too (JWT_CSRF_CHECK_FORM), without the token.
            refused(getattr(shop, method)(path, data={"csrf_token": "wrong"}), (400, 401))
    assert seed.order(order_id).status == "awaiting_payment"
    # The control: with the header the same cookie does write.
    assert shop.post(f"/api/orders/{order_id}/cancel", headers={"X-CSRF-TOKEN": CSRF}).status_code == 202


def test_the_banks_confirm_form_without_its_token_captures_nothing(bank_app, bank, unchanged):
    number = bank.post("/bank/accounts", json={"owner": "Ann", "pin": "1234", "balance": 5_000},
                       headers=BANK_ADMIN).get_json()["number"]
    hold = bank.post("/bank/holds", json={"account": number, "amount": 700, "reference": "r"},
                     headers=BANK_MERCHANT).get_json()
    token = hidden_csrf(bank.get(f"/bank/confirm/{hold['id']}").get_data(as_text=True))
    with unchanged():
        for data in ({"pin": "1234"}, {"pin": "1234", "csrf_token": ""}, {"pin": "1234", "csrf_token": "x"}):
            response = bank.post(f"/bank/confirm/{hold['id']}", data=data)
            assert response.status_code in (400, 403), response.status_code
        # The right token from another browser (no nonce cookie) is refused too.
        response = bank_app.test_client().post(f"/bank/confirm/{hold['id']}", data={"pin": "1234", "csrf_token": token})
        assert response.status_code in (400, 403), response.status_code
    assert bank.get(f"/bank/holds/{hold['id']}", headers=BANK_MERCHANT).get_json()["status"] == "pending_confirmation"
