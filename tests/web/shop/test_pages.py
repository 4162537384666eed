"""The shop's pages: each renders, logged in or not; forms refuse a missing CSRF token; the
security headers are on every reply. Orders placed through the pages are in
tests/integration/test_orders_api.py (they need the real workers)."""
from __future__ import annotations

import pytest

from db.account import User, Wallet, WalletEntry
from emarket.storage import unit_of_work
from tests.support.shop_pages import ADMIN, CSRF, OTHER, USER, hidden_csrf, log_in
from tests.support.tokens import mint


@pytest.fixture
def settings_overrides() -> dict:
    # Nothing listens on port 9: a form that wrongly reached the auth service would show 503.
    return {"auth_url": "http://127.0.0.1:9"}


def test_catalogue_and_product_pages_render_for_anyone(client, product):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tea &lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "19.99 USD" in html and "4 available" in html
    one = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Log in to buy now" in one and 'name="idempotency_key"' not in one
    assert 'action="/cart/add"' in one  # anyone may fill a cart


def test_a_logged_in_visitor_gets_the_order_form_with_its_csrf_token(client, product):
    log_in(client)
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert 'name="quantity"' in html and 'name="idempotency_key"' in html
    assert hidden_csrf(html) == {CSRF}  # the cart, order and log-out forms
    assert "Log out" in html and "Sagas" not in html


def test_unknown_product_page_is_an_html_404(client):
    response = client.get("/products/12345")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "no such product" in response.get_data(as_text=True)


def test_unknown_pages_are_html_for_browsers_and_json_for_the_api(client):
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = client.get("/no-such-page", headers=browser)
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = client.get("/api/no-such-thing", headers=browser)
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    assert client.get("/no-such-page").get_json()["error"]["code"] == "not_found"


def test_security_headers_on_pages_and_api(client, product):
    for path in ("/", f"/products/{product.id}", "/login", "/api/products", "/static/style.css"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_static_assets_are_served(client):
    assert client.get("/static/style.css").status_code == 200
    assert b"orderPage" in client.get("/static/app.js").data


# One fixed order id: a test's id must be the same in every xdist worker's collection.
@pytest.mark.parametrize("path", ["/orders", "/wallet", "/admin/products", "/orders/6ca30128-1f85-4459-9cf9-17999f1f2993"])
def test_private_pages_send_strangers_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_an_expired_cookie_without_refresh_means_log_in_again(client, dbs):
    client.set_cookie("access_token_cookie", mint(USER, csrf=CSRF, ttl=-60))
    response = client.get("/orders")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "access_token_cookie=;" in " ".join(response.headers.getlist("Set-Cookie"))
    # A refresh cookie the auth service cannot honour (here: it is away) changes nothing.
    client.set_cookie("refresh_token_cookie", mint(USER, kind="refresh", csrf=CSRF))
    client.set_cookie("access_token_cookie", mint(USER, csrf=CSRF, ttl=-60))
    assert client.get("/wallet").headers["Location"].startswith("/login")


def test_the_order_page_shows_status_deadline_items_and_timeline(client, order, product):
    log_in(client)
    html = client.get(f"/orders/{order}").get_data(as_text=True)
    assert f'data-order-id="{order}"' in html and 'data-status="awaiting_payment"' in html
    assert "Waiting for your payment" in html and "Tea &lt;b&gt;bold&lt;/b&gt;" in html
    assert 'id="pay"' in html and 'id="cancel"' in html and "data-deadline=\"20" in html
    # "registered" (the order service's receipt) is not repeated after "Order received".
    assert html.count('class="event-name"') == 3 and "39.98 USD" in html and "Order registered" not in html
    assert CSRF in hidden_csrf(html) or f'data-csrf="{CSRF}"' in html


def test_another_users_order_page_is_404(client, order):
    log_in(client, OTHER)
    response = client.get(f"/orders/{order}")
    assert response.status_code == 404 and order not in response.get_data(as_text=True)
    assert client.get("/orders/not-a-uuid").status_code == 404


def test_the_cabinet_lists_own_orders(client, order):
    log_in(client)
    html = client.get("/orders").get_data(as_text=True)
    assert f'data-order-id="{order}"' in html and "Waiting for your payment" in html
    assert "2 × Tea &lt;b&gt;bold&lt;/b&gt;" in html and 'data-live="/orders/live"' in html
    log_in(client, OTHER)
    assert order not in client.get("/orders").get_data(as_text=True)
    assert client.get("/orders?cursor=nonsense").status_code == 400


def test_the_cabinets_live_source_answers_with_cookies(client, order):
    log_in(client)
    body = client.get("/api/orders", headers={"X-CSRF-TOKEN": CSRF}).get_json()
    assert [o["id"] for o in body["orders"]] == [order]


def test_the_wallet_page(client, dbs):
    with unit_of_work("account") as uow:
        uow.session.add(User(id=USER, email="u@example.com"))
        uow.session.flush()
        uow.session.add(Wallet(user_id=USER, balance=123_456))
        uow.session.flush()
        uow.session.add(WalletEntry(user_id=USER, kind="adjustment", amount=124_456))
    log_in(client)
    html = client.get("/wallet").get_data(as_text=True)
    assert "1,234.56 USD" in html and "1,244.56 USD" in html and "Adjustment" in html
    log_in(client, OTHER)
    assert "0.00 USD" in client.get("/wallet").get_data(as_text=True)


def test_the_admin_page_is_for_admins(client, product):
    log_in(client)
    assert client.get("/admin/products").status_code == 403
    log_in(client, ADMIN, ["admin"])
    html = client.get("/admin/products").get_data(as_text=True)
    assert f'data-url="/api/products/{product.id}"' in html and 'data-method="PATCH"' in html
    assert 'data-url="/api/products"' in html and hidden_csrf(html) == {CSRF}
    assert 'value="19.99"' in html and 'data-field="available">4<' in html


def test_admin_json_writes_with_cookies_need_the_csrf_header(client, product, snapshot):
    log_in(client, ADMIN, ["admin"])
    before = snapshot()
    assert client.patch(f"/api/products/{product.id}", json={"price": 5}).status_code == 401
    assert client.patch(f"/api/products/{product.id}", json={"price": 5},
                        headers={"X-CSRF-TOKEN": "wrong"}).status_code == 401
    assert snapshot() == before
    ok = client.patch(f"/api/products/{product.id}", json={"price": 5}, headers={"X-CSRF-TOKEN": CSRF})
    assert ok.status_code == 200 and ok.get_json()["price"] == 5


def test_login_and_register_pages_carry_a_csrf_token(client):
    for path in ("/login", "/register"):
        html = client.get(path).get_data(as_text=True)
        assert len(next(iter(hidden_csrf(html)))) > 20


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_anonymous_forms_without_the_csrf_token_are_403(client, path):
    client.get(path)  # a session exists, the form's token is just not sent back
    response = client.post(path, data={"email": "a@example.com", "password": "long enough"})
    assert response.status_code == 403 and "CSRF" in response.get_data(as_text=True)
    response = client.post(path, data={"email": "a@example.com", "password": "long enough", "csrf_token": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_forms_say_when_the_auth_service_is_away(client, path):
    token = next(iter(hidden_csrf(client.get(path).get_data(as_text=True))))
    response = client.post(path, data={"email": "a@example.com", "password": "long enough", "csrf_token": token})
    assert response.status_code == 503 and "not answering" in response.get_data(as_text=True)


def test_logged_in_forms_without_the_csrf_token_are_401(client, product, snapshot):
    log_in(client)
    before = snapshot()
    form = {"quantity": "1", "idempotency_key": "k1"}
    assert client.post(f"/products/{product.id}/order", data=form).status_code == 401
    assert client.post(f"/products/{product.id}/order", data={**form, "csrf_token": "wrong"}).status_code == 401
    assert client.post("/logout", data={}).status_code == 401
    assert snapshot() == before


def test_log_out_drops_the_cookies(client, dbs):
    log_in(client)
    response = client.post("/logout", data={"csrf_token": CSRF})
    assert response.status_code == 303
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "access_token_cookie=;" in cookies and "refresh_token_cookie=;" in cookies


def test_redirects_after_log_in_stay_on_this_site(app):
    from web.shop.page_auth import safe_next

    with app.test_request_context():
        assert safe_next("/orders") == "/orders"
        for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example",
                     "evil", None, ""):
            assert safe_next(evil) == "/"
