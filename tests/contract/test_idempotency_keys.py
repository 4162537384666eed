"""Idempotency-Key, as an outside client sees it: the same caller, key and body get the first
reply again — the same status and the same bytes — and nothing new is created; another body is
422; concurrent duplicates agree with each other or are told 409 ``request_in_progress``."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.contract.conftest import TIMEOUT
from tests.support.wait import wait_until


def _key() -> str:
    return f"key-{uuid.uuid4()}"


def _product(system, count=100, price=250) -> int:
    made = requests.post(system.urls["shop"] + "/api/products", headers=system.admin_headers(), timeout=TIMEOUT,
                         json={"name": f"tea {uuid.uuid4().hex[:6]}", "price": price, "count": count})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _orders(system, headers) -> list[dict]:
    listed = requests.get(system.urls["shop"] + "/api/orders?limit=100", headers=headers, timeout=TIMEOUT)
    assert listed.status_code == 200
    return listed.json()["orders"]


def test_an_order_replayed_after_it_completed_gets_its_first_reply(system):
    headers = system.shopper(balance=10_000)
    product, key = _product(system), _key()
    body = {"items": [{"product_id": product, "quantity": 2}]}
    url = system.urls["shop"] + "/api/orders"
    first = requests.post(url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=TIMEOUT)
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    order_id = first.json()["id"]

    def status() -> str:
        return requests.get(f"{url}/{order_id}", headers=headers, timeout=TIMEOUT).json()["status"]

    wait_until(lambda: status() == "awaiting_payment", timeout=60, interval=0.2, what="awaiting payment")
    paid = requests.post(f"{url}/{order_id}/payment", headers=headers, timeout=TIMEOUT)
    assert paid.status_code == 202, paid.text
    wait_until(lambda: status() == "completed", timeout=60, interval=0.2, what="the order to complete")

    again = requests.post(url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=TIMEOUT)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["Location"] == first.headers["Location"] == f"/api/orders/{order_id}"
    assert [o["id"] for o in _orders(system, headers)] == [order_id]

    other = requests.post(url, json={"items": [{"product_id": product, "quantity": 3}]},
                          headers={**headers, "Idempotency-Key": key}, timeout=TIMEOUT)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(_orders(system, headers)) == 1


def test_concurrent_duplicates_of_an_order_agree(system):
    headers = system.shopper()
    product, key = _product(system), _key()
    for wait in ("", "?wait=5"):
        key = _key()

        def place(_, wait=wait, key=key):
            return requests.post(system.urls["shop"] + "/api/orders" + wait, timeout=TIMEOUT,
                                 json={"items": [{"product_id": product, "quantity": 1}]},
                                 headers={**headers, "Idempotency-Key": key})

        with ThreadPoolExecutor(6) as pool:
            replies = list(pool.map(place, range(6)))
        answered = {(r.status_code, r.content) for r in replies if r.status_code != 409}
        busy = [r for r in replies if r.status_code == 409]
        assert len(answered) == 1, answered
        assert all(r.json()["error"]["code"] == "request_in_progress" for r in busy)
    assert len(_orders(system, headers)) == 2


def test_a_product_replayed_is_created_once(system):
    admin, key = system.admin_headers(), _key()
    body = {"name": f"kettle {uuid.uuid4().hex[:6]}", "price": 1999, "count": 5}
    url = system.urls["shop"] + "/api/products"
    replies = [requests.post(url, json=body, headers={**admin, "Idempotency-Key": key}, timeout=TIMEOUT)
               for _ in range(3)]
    assert {(r.status_code, r.content) for r in replies} == {(201, replies[0].content)}
    listed = requests.get(url + "?limit=100", timeout=TIMEOUT).json()["products"]
    assert [p["name"] for p in listed].count(body["name"]) == 1


def test_a_top_up_replayed_is_created_once(system):
    headers, key = system.shopper(), _key()
    url = system.urls["shop"] + "/api/wallet/topups"
    body = {"amount": 500, "bank_account": "12345678"}
    first = requests.post(url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=TIMEOUT)
    assert first.status_code == 202, first.text
    # The top-up moves on behind the reply (its bank hold fails here); the replay does not.
    wait_until(lambda: requests.get(system.urls["shop"] + first.headers["Location"], headers=headers,
                                    timeout=TIMEOUT).json()["status"] != "initiated",
               timeout=60, interval=0.2, what="the top-up to move on")
    again = requests.post(url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=TIMEOUT)
    assert (again.status_code, again.content) == (202, first.content)
    listed = requests.get(url, headers=headers, timeout=TIMEOUT).json()["topups"]
    assert [t["id"] for t in listed] == [first.json()["id"]]


def test_bank_accounts_and_holds_replayed_are_created_once(system):
    bank = system.urls["bank"] + "/bank"
    admin = {"X-Api-Key": system.bank_admin_key, "Idempotency-Key": _key()}
    account_body = {"owner": "Ann", "pin": "1234", "balance": 1000}
    opened = [requests.post(bank + "/accounts", json=account_body, headers=admin, timeout=TIMEOUT) for _ in range(2)]
    assert opened[0].status_code == 201 and opened[1].content == opened[0].content
    number = opened[0].json()["number"]

    merchant = {"X-Api-Key": system.bank_merchant_key, "Idempotency-Key": _key()}
    hold_body = {"account": number, "amount": 300, "reference": "contract"}
    held = [requests.post(bank + "/holds", json=hold_body, headers=merchant, timeout=TIMEOUT) for _ in range(2)]
    assert held[0].status_code == 201 and held[1].content == held[0].content
    account = requests.get(f"{bank}/accounts/{number}", headers={"X-Api-Key": system.bank_admin_key}, timeout=TIMEOUT)
    assert (account.json()["balance"], account.json()["held"]) == (700, 300)
    other = requests.post(bank + "/holds", json={**hold_body, "amount": 301}, headers=merchant, timeout=TIMEOUT)
    assert other.status_code == 422


def test_registration_of_a_taken_email_is_409_and_a_keyed_retry_is_its_first_reply(system):
    url = system.urls["auth"] + "/auth/register"
    body, key = {"email": f"reg-{uuid.uuid4().hex[:10]}@example.com", "password": "a good password"}, _key()
    first = requests.post(url, json=body, headers={"Idempotency-Key": key}, timeout=TIMEOUT)
    assert first.status_code == 201, first.text
    again = requests.post(url, json=body, headers={"Idempotency-Key": key}, timeout=TIMEOUT)
    assert (again.status_code, again.content) == (201, first.content)
    for other in (body, {**body, "password": "another password"}):
        taken = requests.post(url, json=other, timeout=TIMEOUT)
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
