"""JWT tampering: every forged, spoiled, expired or revoked token is a 401 in the error shape,
on every shop endpoint (public ones too, when a token is sent) and on the auth service's
refresh and logout; none of them changes anything."""
from __future__ import annotations

import uuid

import pytest

from tests.security.conftest import PASSWORD
from tests.security.forgery import bad_tokens
from tests.support import seed
from tests.support.tokens import bearer, mint

USER = 4242
ORDER, TOPUP = str(uuid.uuid4()), str(uuid.uuid4())
SHOP_ENDPOINTS = [
    ("get", "/api/products", None), ("get", "/api/products/1", None),
    ("post", "/api/products", {"name": "Tea", "price": 100, "count": 1}),
    ("patch", "/api/products/1", {"price": 1}),
    ("get", "/api/orders", None), ("post", "/api/orders", {"items": [{"product_id": 1, "quantity": 1}]}),
    ("get", f"/api/orders/{ORDER}", None), ("post", f"/api/orders/{ORDER}/payment", {}),
    ("post", f"/api/orders/{ORDER}/cancel", {}),
    ("get", "/api/wallet", None), ("get", "/api/wallet/transactions", None),
    ("get", "/api/wallet/topups", None), ("post", "/api/wallet/topups", {"amount": 100, "bank_account": "123"}),
    ("get", f"/api/wallet/topups/{TOPUP}", None),
]


def assert_401(response):
    assert response.status_code == 401, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body


@pytest.mark.parametrize("roles", [(), ("admin",)], ids=["user", "admin"])
def test_every_bad_token_is_401_on_every_shop_endpoint(shop, unchanged, roles):
    seed.user(balance=5_000)
    seed.product(count=3)
    with unchanged():
        for name, token in bad_tokens(USER, roles).items():
            for method, path, body in SHOP_ENDPOINTS:
                response = getattr(shop, method)(path, json=body, headers=bearer(token))
                assert response.status_code == 401, (name, method, path, response.status_code, response.get_json())
                assert_401(response)


def test_bad_tokens_in_cookies_leave_the_visitor_anonymous_and_writes_refused(shop, unchanged):
    product = seed.product(count=3)
    with unchanged():
        for name, token in bad_tokens(USER).items():
            shop.set_cookie("access_token_cookie", token)
            shop.set_cookie("csrf_access_token", "c")
            page = shop.get("/orders")
            assert page.status_code == 302 and "/login" in page.headers["Location"], name
            write = shop.post("/api/orders", json={"items": [{"product_id": product, "quantity": 1}]},
                              headers={"X-CSRF-TOKEN": "c"})
            assert_401(write)
            form = shop.post(f"/products/{product}/order", data={"quantity": "1", "idempotency_key": "k",
                                                                 "csrf_token": "c"})
            assert form.status_code == 401, (name, form.status_code)


def test_bad_refresh_tokens_are_401_on_auth_refresh(auth, registered, unchanged):
    user = registered()
    with unchanged():
        for name, token in bad_tokens(user, kind="refresh").items():
            response = auth.post("/auth/refresh", headers=bearer(token))
            assert response.status_code == 401, (name, response.status_code, response.get_json())
            assert_401(response)


def test_bad_access_tokens_are_401_on_auth_logout(auth, registered, unchanged):
    user = registered()
    # A non-numeric subject signed with the real key could only come from the auth service
    # itself; logging it out would revoke that token alone, so it is no attack here.
    forged = {k: v for k, v in bad_tokens(user).items() if k != "subject_not_a_number"}
    with unchanged():
        for name, token in forged.items():
            response = auth.post("/auth/logout", headers=bearer(token))
            assert response.status_code == 401, (name, response.status_code, response.get_json())
            assert_401(response)


def test_tokens_revoked_by_logout_are_401_everywhere(shop, auth, registered, unchanged):
    registered()
    tokens = auth.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).get_json()
    access, refresh = bearer(tokens["access_token"]), bearer(tokens["refresh_token"])
    assert shop.get("/api/wallet", headers=access).status_code == 200
    assert auth.post("/auth/logout", headers=access).status_code == 200
    with unchanged():
        for method, path, body in SHOP_ENDPOINTS:
            assert_401(getattr(shop, method)(path, json=body, headers=access))
        assert_401(auth.post("/auth/refresh", headers=refresh))
        assert_401(auth.post("/auth/logout", headers=access))


def test_a_rotated_refresh_token_is_401_when_replayed(auth, registered, unchanged):
    registered()
    tokens = auth.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).get_json()
    old = bearer(tokens["refresh_token"])
    assert auth.post("/auth/refresh", headers=old).status_code == 200
    with unchanged():
        assert_401(auth.post("/auth/refresh", headers=old))


def test_a_good_token_still_works(shop):
    """The control: the same requests with a genuine token are not refused."""
    seed.user()
    assert shop.get("/api/wallet", headers=bearer(mint(USER))).status_code == 200
    assert shop.get("/api/products", headers=bearer(mint(USER))).status_code == 200
