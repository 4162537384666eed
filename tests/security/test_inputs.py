"""Hostile input: SQL-injection strings, oversize strings, deeply nested JSON, huge and
non-finite numbers, negative amounts. Every one is a 4xx in the error shape and changes
nothing; an injection string in a field that may hold any text is stored as text, nothing else."""
from __future__ import annotations

import json

import pytest

from tests.security.conftest import as_user
from tests.security.stack import BANK_ADMIN, BANK_MERCHANT
from tests.support import seed
from tests.support.tokens import bearer, mint

INJECTIONS = ["' OR '1'='1", "1; DROP TABLE \"order\"; --", "1 OR 1=1", "') UNION SELECT password_hash FROM credential--",
              "%27%20OR%201%3D1", "\\x00'; DELETE FROM e_wallet; --", "$ne", "{\"$gt\": \"\"}"]
DEEP = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000
HUGE = ["1e400", "-1e400", str(2**70), str(-(2**70)), "9" * 400, "NaN", "Infinity", "-Infinity", "1.5", "1e2",
        "100.0", "true", "\"100\""]
NEGATIVE = ["-1", "-100", "0"]
UUID = "7b0c9c0e-0000-4000-8000-000000000000"


def assert_4xx(response, what):
    assert 400 <= response.status_code < 500, (what, response.status_code, response.get_data(as_text=True)[:300])
    if response.mimetype == "application/json":
        body = response.get_json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, (what, body)


def raw(client, method, path, body: str, headers):
    return getattr(client, method)(path, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def people(bank):
    user = seed.user(balance=5_000)
    tea = seed.product(count=5, price=300)
    number = bank.post("/bank/accounts", json={"owner": "Ann", "pin": "1234", "balance": 5_000},
                       headers=BANK_ADMIN).get_json()["number"]
    return {"user_id": user, "user": as_user(user), "admin": as_user(900, ["admin"]), "tea": tea, "account": number}


def _json_bodies(p) -> list[tuple]:
    """(service, method, path, headers, body template with one ``V`` to fill in)."""
    user, admin, tea, account = p["user"], p["admin"], p["tea"], p["account"]
    return [
        ("shop", "post", "/api/products", admin, '{"name": "Tea", "price": V, "count": 1}'),
        ("shop", "post", "/api/products", admin, '{"name": "Tea", "price": 1, "count": V}'),
        ("shop", "patch", f"/api/products/{tea}", admin, '{"price": V}'),
        ("shop", "patch", f"/api/products/{tea}", admin, '{"count": V}'),
        ("shop", "post", "/api/orders", user, f'{{"items": [{{"product_id": {tea}, "quantity": V}}]}}'),
        ("shop", "post", "/api/orders", user, '{"items": [{"product_id": V, "quantity": 1}]}'),
        ("shop", "post", "/api/wallet/topups", user, f'{{"amount": V, "bank_account": "{account}"}}'),
        ("bank", "post", "/bank/accounts", BANK_ADMIN, '{"owner": "Eve", "pin": "1234", "balance": V}'),
        ("bank", "post", "/bank/holds", BANK_MERCHANT, f'{{"account": "{account}", "amount": V, "reference": "r"}}'),
    ]


def test_huge_non_finite_and_negative_numbers_are_4xx(shop, bank, people, unchanged):
    clients = {"shop": shop, "bank": bank}
    with unchanged():
        for service, method, path, headers, template in _json_bodies(people):
            for value in HUGE + NEGATIVE:
                if value == "0" and template.split("V")[0].endswith(('"count": ', '"balance": ')):
                    continue  # zero units on hand, or an empty bank account, is valid
                response = raw(clients[service], method, path, template.replace("V", value), headers)
                assert_4xx(response, (path, template, value))


def test_huge_and_negative_numbers_in_paths_and_queries_are_4xx(shop, bank, people, unchanged):
    user, account = people["user"], people["account"]
    with unchanged():
        for value in ["99999999999999999999999", str(2**63), "-1", "0", "1e400", "NaN", "1.0"]:
            assert_4xx(shop.get(f"/api/products/{value}"), value)
            assert_4xx(shop.patch(f"/api/products/{value}", json={"price": 1}, headers=people["admin"]), value)
        for query in ["limit=1e400", f"limit={2**70}", "limit=-1", "limit=0", "limit=101", "limit=NaN",
                      "limit=1.0", "cursor=" + "A" * 10_000]:
            for path in ("/api/products", "/api/orders", "/api/wallet/transactions", "/api/wallet/topups"):
                assert_4xx(shop.get(f"{path}?{query}", headers=user), (path, query))
        for wait in ["-1", "31", "1e400", str(2**70), "NaN"]:
            body = {"items": [{"product_id": people["tea"], "quantity": 1}]}
            assert_4xx(shop.post(f"/api/orders?wait={wait}", json=body, headers=user), wait)
        for amount in ["-1", "0", "1e400", str(2**70), "NaN", "10000001"]:
            assert_4xx(bank.get(f"/bank/accounts/{account}/availability?amount={amount}", headers=BANK_MERCHANT),
                       amount)


def test_deeply_nested_json_is_4xx_everywhere(shop, auth, bank, people, unchanged):
    targets = [(shop, "post", "/api/products", people["admin"]), (shop, "patch", f"/api/products/{people['tea']}",
               people["admin"]), (shop, "post", "/api/orders", people["user"]),
               (shop, "post", f"/api/orders/{UUID}/payment", people["user"]),
               (shop, "post", f"/api/orders/{UUID}/cancel", people["user"]),
               (shop, "post", "/api/wallet/topups", people["user"]),
               (auth, "post", "/auth/register", {}), (auth, "post", "/auth/login", {}),
               (bank, "post", "/bank/accounts", BANK_ADMIN), (bank, "post", "/bank/holds", BANK_MERCHANT),
               (bank, "post", f"/bank/holds/{UUID}/confirm", {}),
               (bank, "post", f"/bank/holds/{UUID}/release", BANK_MERCHANT),
               # Bodiless POSTs with a genuine token: the body is refused before anything is revoked.
               (auth, "post", "/auth/logout", bearer(mint(people["user_id"]))),
               (auth, "post", "/auth/refresh", bearer(mint(people["user_id"], kind="refresh")))]
    nested_items = '{"items": ' + DEEP + "}"
    with unchanged():
        for client, method, path, headers in targets:
            for body in (DEEP, DEEP_OBJECT, nested_items):
                assert_4xx(raw(client, method, path, body, headers), (path, body[:20]))


def test_injection_strings_are_refused_where_they_are_not_valid(shop, auth, bank, people, unchanged):
    user, admin = people["user"], people["admin"]
    with unchanged():
        for bad in INJECTIONS:
            quoted = bad.replace("/", "%2F").replace("#", "%23").replace("?", "%3F")
            for path in (f"/api/orders/{quoted}", f"/api/products/{quoted}", f"/api/wallet/topups/{quoted}",
                         f"/api/orders/{quoted}/payment", f"/api/orders/{quoted}/cancel"):
                method = "post" if path.endswith(("payment", "cancel")) else "get"
                assert_4xx(getattr(shop, method)(path, headers=user), path)
            for path in ("/api/products", "/api/orders", "/api/wallet/transactions", "/api/wallet/topups"):
                assert_4xx(shop.get(path, query_string={"cursor": bad}, headers=user), (path, bad))
                assert_4xx(shop.get(path, query_string={"limit": bad}, headers=user), (path, bad))
            assert_4xx(shop.post("/api/orders", json={"items": [{"product_id": bad, "quantity": 1}]}, headers=user), bad)
            assert_4xx(shop.post("/api/wallet/topups", json={"amount": 100, "bank_account": bad}, headers=user), bad)
            assert_4xx(shop.patch(f"/api/products/{people['tea']}", json={"price": bad}, headers=admin), bad)
            assert_4xx(auth.post("/auth/login", json={"email": bad, "password": bad}), bad)
            assert_4xx(auth.post("/auth/login", json={"email": "ann@example.com", "password": bad}), bad)
            assert_4xx(auth.post("/auth/register", json={"email": bad, "password": "long enough pw"}), bad)
            assert_4xx(bank.get(f"/bank/accounts/{quoted}", headers=BANK_ADMIN), bad)
            assert_4xx(bank.get(f"/bank/accounts/{quoted}/availability?amount=1", headers=BANK_MERCHANT), bad)
            assert_4xx(bank.post("/bank/holds", json={"account": bad, "amount": 1, "reference": "r"},
                                 headers=BANK_MERCHANT), bad)
            assert_4xx(bank.post(f"/bank/holds/{quoted}/confirm", json={"pin": bad}), bad)
            assert_4xx(bank.post(f"/bank/holds/{quoted}/release", headers=BANK_MERCHANT), bad)
            assert_4xx(bank.post("/bank/accounts", json={"owner": "Eve", "pin": bad, "balance": 1},
                                 headers=BANK_ADMIN), bad)


def test_oversize_strings_are_4xx(shop, auth, bank, people, unchanged):
    user, admin, account = people["user"], people["admin"], people["account"]
    over_64k = "x" * (65 * 1024)
    with unchanged():
        cases = [
            (shop.post("/api/products", json={"name": "n" * 201, "price": 1, "count": 1}, headers=admin), 400),
            (shop.post("/api/products", json={"name": "Tea", "description": "d" * 5001, "price": 1, "count": 1},
                       headers=admin), 400),
            (shop.patch(f"/api/products/{people['tea']}", json={"name": "n" * 201}, headers=admin), 400),
            (shop.post("/api/products", json={"name": over_64k, "price": 1, "count": 1}, headers=admin), 413),
            (shop.post("/api/orders", json={"items": [{"product_id": people["tea"], "quantity": 1}]},
                       headers={**user, "Idempotency-Key": "k" * 256}), 400),
            (shop.post("/api/wallet/topups", json={"amount": 1, "bank_account": "1" * 35}, headers=user), 400),
            (shop.post("/api/wallet/topups", json={"amount": 1, "bank_account": account},
                       headers={**user, "Idempotency-Key": "k" * 256}), 400),
            (shop.get("/api/orders/" + "a" * 10_000, headers=user), 404),
            (auth.post("/auth/register", json={"email": "a" * 250 + "@example.com", "password": "long enough"}), 400),
            (auth.post("/auth/register", json={"email": "eve@example.com", "password": "p" * 129}), 400),
            (auth.post("/auth/register", json={"email": "eve@example.com", "password": "long enough",
                                               "name": "n" * 101}), 400),
            (auth.post("/auth/login", json={"email": "e" * 60_000, "password": "x"}), 401),
            (auth.post("/auth/login", json={"email": "ann@example.com", "password": over_64k}), 413),
            (bank.post("/bank/accounts", json={"owner": "o" * 101, "pin": "1234", "balance": 1},
                       headers=BANK_ADMIN), 400),
            (bank.post("/bank/holds", json={"account": account, "amount": 1, "reference": "r" * 101},
                       headers=BANK_MERCHANT), 400),
            (bank.post("/bank/holds", json={"account": account, "amount": 1, "reference": "r"},
                       headers={**BANK_MERCHANT, "Idempotency-Key": "k" * 256}), 400),
            (bank.post(f"/bank/holds/{UUID}/confirm", json={"pin": over_64k}), 413),
        ]
        for number, (response, status) in enumerate(cases):
            assert response.status_code == status, (number, response.status_code, response.get_data(as_text=True)[:200])
            assert_4xx(response, number)


def test_an_injection_string_in_free_text_is_stored_as_text_and_nothing_else(shop, people, sec_env):
    from tests.security.stack import snapshot

    before = snapshot(sec_env["urls"])
    name = INJECTIONS[1]
    created = shop.post("/api/products", json={"name": name, "description": INJECTIONS[3], "price": 100, "count": 1},
                        headers=people["admin"])
    assert created.status_code == 201, created.get_json()
    product = shop.get(f"/api/products/{created.get_json()['id']}").get_json()
    assert (product["name"], product["description"]) == (name, INJECTIONS[3])
    after = snapshot(sec_env["urls"])
    changed = {table for table in before if before[table] != after[table]}
    assert changed == {"emarket.product_desc", "emarket.product_accounting"}, changed
    assert after["emarket.product_desc"][0] == before["emarket.product_desc"][0] + 1
    assert json.loads(shop.get("/api/products").get_data())["products"][0]["name"] == name
