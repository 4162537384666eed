"""The order endpoints of the shop API over the real stack: the Flask app (test client) asks
real workers over RabbitMQ, state in PostgreSQL, replies in Redis."""
from __future__ import annotations

import base64
import json
import re
import uuid

import pytest

from emarket import accounts
from emarket.saga_events import FORWARD
from emarket.storage import unit_of_work
from tests.support import seed
from tests.support.env import overridden_env
from tests.support.tokens import bearer, mint
from tests.support.wait import wait_until


@pytest.fixture
def client(worker):
    from web.shop import create_app

    app = create_app()
    app.testing = True
    return app.test_client()


def as_user(user_id: int) -> dict:
    return bearer(mint(user_id))


def place(client, user_id, items, query="", headers=None):
    body = {"items": [{"product_id": p, "quantity": q} for p, q in items]}
    return client.post(f"/api/orders{query}", json=body, headers={**as_user(user_id), **(headers or {})})


def status_of(client, user_id, order_id, *statuses):
    def probe():
        body = client.get(f"/api/orders/{order_id}", headers=as_user(user_id)).get_json()
        return body if body["status"] in statuses else None

    return wait_until(probe, timeout=30, what=f"order {order_id} to become {statuses}")


def assert_error(response, status, code=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code, body


def test_an_order_is_placed_paid_and_completed_through_the_api(client):
    user = seed.user(balance=10_000)
    tea, cup = seed.product(count=10, price=250), seed.product(count=5, price=1_000)
    response = place(client, user, [(tea, 2), (cup, 1)])
    assert response.status_code == 202
    order = response.get_json()
    assert response.headers["Location"] == f"/api/orders/{order['id']}"
    assert order["status"] in ("accepted", "processing", "awaiting_payment") and order["currency"] == "USD"
    assert {(i["product_id"], i["quantity"]) for i in order["items"]} == {(tea, 2), (cup, 1)}
    assert order["events"][0]["name"] == "accepted"

    waiting = status_of(client, user, order["id"], "awaiting_payment", "cancelled")
    assert waiting["status"] == "awaiting_payment" and waiting["reason"] is None
    assert waiting["total"] == 1_500 and waiting["payment_deadline"].endswith("Z")
    assert sorted((i["product_id"], i["price"]) for i in waiting["items"]) == sorted([(tea, 250), (cup, 1_000)])

    paid = client.post(f"/api/orders/{order['id']}/payment", headers=as_user(user))
    assert (paid.status_code, paid.get_json()) == (202, {"id": order["id"], "status": "payment_started"})
    done = status_of(client, user, order["id"], "completed", "cancelled")
    assert done["status"] == "completed"
    assert [e["name"] for e in done["events"]] == list(FORWARD)
    assert [e["at"] for e in done["events"]] == sorted(e["at"] for e in done["events"])
    assert seed.wallet_of(user) == 8_500

    again = client.post(f"/api/orders/{order['id']}/payment", data="{}", content_type="application/json",
                        headers=as_user(user))
    assert again.status_code == 200 and again.get_json()["status"] == "completed"
    assert len(seed.entries(order["id"], "debit")) == 1
    assert_error(client.post(f"/api/orders/{order['id']}/cancel", headers=as_user(user)), 409, "order_not_cancellable")
    wallet = client.get("/api/wallet/transactions", headers=as_user(user)).get_json()
    assert [(t["kind"], t["amount"], t["order_id"]) for t in wallet["transactions"]] == [("debit", -1_500, order["id"])]


def test_wait_returns_the_settled_order(client):
    user = seed.user(balance=0)
    tea = seed.product(count=3, price=100)
    response = place(client, user, [(tea, 1)], "?wait=20")
    assert response.status_code == 200
    assert response.get_json()["status"] == "awaiting_payment"
    unknown = place(client, user, [(10**15, 1)], "?wait=20")
    assert unknown.status_code == 200
    assert (unknown.get_json()["status"], unknown.get_json()["reason"]) == ("cancelled", "unknown_product")
    assert unknown.get_json()["total"] is None
    no_wait = place(client, user, [(tea, 1)], "?wait=0")
    assert no_wait.status_code == 202


def test_cancel_then_pay(client):
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=100)
    order_id = place(client, user, [(tea, 1)], "?wait=20").get_json()["id"]
    cancelled = client.post(f"/api/orders/{order_id}/cancel", headers=as_user(user))
    assert (cancelled.status_code, cancelled.get_json()) == (202, {"id": order_id, "status": "cancelled"})
    again = client.post(f"/api/orders/{order_id}/cancel", headers=as_user(user))
    assert again.status_code == 200
    assert (again.get_json()["status"], again.get_json()["reason"]) == ("cancelled", "cancelled_by_user")
    assert_error(client.post(f"/api/orders/{order_id}/payment", headers=as_user(user)), 409, "order_not_payable")
    assert seed.wallet_of(user) == 1_000


def test_idempotency_key(client):
    user = seed.user()
    tea, cup = seed.product(), seed.product()
    first = place(client, user, [(tea, 1)], headers={"Idempotency-Key": "checkout-1"})
    second = place(client, user, [(tea, 1)], headers={"Idempotency-Key": "checkout-1"})
    assert first.status_code == second.status_code == 202
    assert first.get_json()["id"] == second.get_json()["id"]
    assert second.headers["Location"] == first.headers["Location"]
    assert seed.count_orders(user) == 1
    assert_error(place(client, user, [(cup, 1)], headers={"Idempotency-Key": "checkout-1"}), 422,
                 "idempotency_key_reused")
    other = seed.user()  # keys are scoped to the caller
    assert place(client, other, [(tea, 1)], headers={"Idempotency-Key": "checkout-1"}).status_code == 202
    for bad in ("", "k" * 256):
        assert_error(place(client, user, [(tea, 1)], headers={"Idempotency-Key": bad}), 400)
    assert seed.count_orders(user) == 1 and seed.count_orders(other) == 1


def test_the_cabinet_lists_own_orders_newest_first(client):
    user, other = seed.user(), seed.user()
    tea = seed.product(count=100)
    ids = [place(client, user, [(tea, 1)]).get_json()["id"] for _ in range(5)]
    place(client, other, [(tea, 1)])
    first = client.get("/api/orders?limit=2", headers=as_user(user)).get_json()
    assert [o["id"] for o in first["orders"]] == ids[::-1][:2] and first["currency"] == "USD"
    assert set(first["orders"][0]) == {"id", "status", "reason", "total", "created_at", "updated_at",
                                       "payment_deadline"}
    seen = [o["id"] for o in first["orders"]]
    cursor = first["next"]
    while cursor:
        page = client.get(f"/api/orders?limit=2&cursor={cursor}", headers=as_user(user)).get_json()
        seen += [o["id"] for o in page["orders"]]
        cursor = page["next"]
    assert seen == ids[::-1]
    for query in ("limit=0", "limit=101", "limit=two", "cursor=bad", "cursor=aWR8MQ"):
        assert_error(client.get(f"/api/orders?{query}", headers=as_user(user)), 400)


def test_another_users_or_unknown_order_is_404(client):
    owner, stranger = seed.user(balance=1_000), seed.user(balance=1_000)
    tea = seed.product()
    order_id = place(client, owner, [(tea, 1)], "?wait=20").get_json()["id"]
    for path in (f"/api/orders/{order_id}", f"/api/orders/{uuid.uuid4()}", "/api/orders/not-a-uuid",
                 "/api/orders/123", f"/api/orders/{order_id}x"):
        assert_error(client.get(path, headers=as_user(stranger if order_id in path else owner)), 404)
    for action in ("payment", "cancel"):
        assert_error(client.post(f"/api/orders/{order_id}/{action}", headers=as_user(stranger)), 404)
        assert_error(client.post(f"/api/orders/{uuid.uuid4()}/{action}", headers=as_user(owner)), 404)
        assert_error(client.post(f"/api/orders/nope/{action}", headers=as_user(owner)), 404)
    assert seed.order(order_id).status == "awaiting_payment"
    assert client.get("/api/orders", headers=as_user(stranger)).get_json()["orders"] == []


BAD_BODIES = [
    {}, {"items": []}, {"items": "x"}, {"items": [{"product_id": 1}]},
    {"items": [{"product_id": 1, "quantity": 0}]}, {"items": [{"product_id": 1, "quantity": -1}]},
    {"items": [{"product_id": 1, "quantity": 1001}]}, {"items": [{"product_id": 1, "quantity": "1"}]},
    {"items": [{"product_id": 1, "quantity": True}]}, {"items": [{"product_id": 1, "quantity": 1.0}]},
    {"items": [{"product_id": "1", "quantity": 1}]}, {"items": [{"product_id": 0, "quantity": 1}]},
    {"items": [{"product_id": 2**63, "quantity": 1}]}, {"items": [{"product_id": 1, "quantity": 1, "x": 1}]},
    {"items": [{"product_id": 1, "quantity": 1}], "note": "hi"},
    {"items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}]},
    {"items": [{"product_id": i, "quantity": 1} for i in range(1, 52)]}, [], None, "items",
]


def test_bad_requests_are_refused_and_create_nothing(client):
    user = seed.user()
    for body in BAD_BODIES:
        response = client.post("/api/orders", data=json.dumps(body), content_type="application/json",
                               headers=as_user(user))
        assert_error(response, 400)
    for raw in (b"", b"{", b"\x00", b'{"items": [' * 3000):
        assert_error(client.post("/api/orders", data=raw, content_type="application/json", headers=as_user(user)), 400)
    for wait in ("-1", "31", "1.5", "abc", "", " 1", "1e1"):
        assert_error(place(client, user, [(1, 1)], f"?wait={wait}"), 400)
    huge = json.dumps({"items": [{"product_id": 1, "quantity": 1}], "pad": "x" * 70_000})
    assert_error(client.post("/api/orders", data=huge, content_type="application/json", headers=as_user(user)), 413)
    assert seed.count_orders(user) == 0


def test_tokens_and_methods(client):
    user = seed.user()
    tea = seed.product()
    order_id = place(client, user, [(tea, 1)]).get_json()["id"]
    expired, refresh = bearer(mint(user, ttl=-60)), bearer(mint(user, kind="refresh"))
    body = {"items": [{"product_id": tea, "quantity": 1}]}
    for headers in ({}, expired, refresh, {"Authorization": "Bearer x.y.z"}):
        assert_error(client.post("/api/orders", json=body, headers=headers), 401)
        assert_error(client.get("/api/orders", headers=headers), 401)
        assert_error(client.get(f"/api/orders/{order_id}", headers=headers), 401)
        assert_error(client.post(f"/api/orders/{order_id}/payment", headers=headers), 401)
        assert_error(client.post(f"/api/orders/{order_id}/cancel", headers=headers), 401)
    assert_error(client.delete(f"/api/orders/{order_id}", headers=as_user(user)), 405)
    assert_error(client.put("/api/orders", json=body, headers=as_user(user)), 405)
    assert_error(client.get(f"/api/orders/{order_id}/payment", headers=as_user(user)), 405)
    assert_error(client.post(f"/api/orders/{order_id}/payment", json={"x": 1}, headers=as_user(user)), 400)
    assert seed.count_orders(user) == 1


# --- the same story through the pages: register, log in, order, pay, watch it complete -------

@pytest.fixture
def auth_service(worker):
    """The real auth service over real HTTP (a thread of this process), as the pages call it;
    the test runs with its URL in force (the shop's pages read it at each call)."""
    import threading

    from werkzeug.serving import make_server

    from emarket.config import settings
    from web.auth import create_app as create_auth_app

    # Its own settings (the test's): its requests are served in threads of their own.
    server = make_server("127.0.0.1", 0, create_auth_app(settings()), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with overridden_env({"EMARKET_AUTH_URL": f"http://127.0.0.1:{server.server_port}"}):
        yield server
    server.shutdown()
    thread.join(timeout=10)


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_visitor_registers_orders_pays_and_sees_it_completed(client, auth_service):
    email = f"pages-{uuid.uuid4().hex[:10]}@example.com"
    token = form_token(client.get("/register").get_data(as_text=True))
    registered = client.post("/register", data={"email": email, "password": "long enough pw",
                                                "name": "Ann", "csrf_token": token})
    assert registered.status_code == 303, registered.get_data(as_text=True)
    csrf = client.get_cookie("csrf_access_token").value
    access = client.get_cookie("access_token_cookie").value
    assert client.get_cookie("refresh_token_cookie") is not None
    user_id = int(json.loads(base64.urlsafe_b64decode(access.split(".")[1] + "=="))["sub"])
    with unit_of_work("account") as uow:  # as the operator's `emarket wallet credit` does
        accounts.credit_adjustment(uow, email, 5_000)
    tea = seed.product(count=5, price=700)

    page = client.get(f"/products/{tea}").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    for _ in range(2):  # a double click places one order
        placed = client.post(f"/products/{tea}/order", data={"quantity": "2", "idempotency_key": key,
                                                             "csrf_token": form_token(page)})
        assert placed.status_code == 303
    order_id = placed.headers["Location"].rsplit("/", 1)[1]
    assert seed.count_orders(user_id) == 1
    assert f'data-order-id="{order_id}"' in client.get(f"/orders/{order_id}").get_data(as_text=True)

    def api_status(statuses):
        body = client.get(f"/api/orders/{order_id}", headers={"X-CSRF-TOKEN": csrf}).get_json()
        return body if body["status"] in statuses else None

    wait_until(lambda: api_status({"awaiting_payment"}), timeout=30, what="awaiting_payment")
    refused = client.post(f"/api/orders/{order_id}/payment", json={})  # cookie without its CSRF header
    assert refused.status_code == 401
    paid = client.post(f"/api/orders/{order_id}/payment", json={}, headers={"X-CSRF-TOKEN": csrf})
    assert paid.status_code == 202
    wait_until(lambda: api_status({"completed"}), timeout=30, what="completed")
    cabinet = client.get("/orders").get_data(as_text=True)
    assert f'data-order-id="{order_id}"' in cabinet and "completed" in cabinet
    assert "36.00 USD" in client.get("/wallet").get_data(as_text=True)

    client.delete_cookie("access_token_cookie")  # gone or expired: the refresh cookie renews it
    renewed = client.get("/wallet")
    assert (renewed.status_code, renewed.headers["Location"]) == (302, "/wallet")
    assert client.get_cookie("access_token_cookie").value != access
    assert client.get("/wallet").status_code == 200
    csrf = client.get_cookie("csrf_access_token").value

    stale = client.post(f"/products/{tea}/order", data={"quantity": "1", "idempotency_key": "other",
                                                        "csrf_token": form_token(page)})
    assert stale.status_code == 401  # the form's token belonged to the replaced access token
    bad = client.post(f"/products/{tea}/order", data={"quantity": "0", "idempotency_key": "other",
                                                      "csrf_token": csrf})
    assert bad.status_code == 400 and seed.count_orders(user_id) == 1
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/orders").status_code == 302

