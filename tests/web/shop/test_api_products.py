"""GET/POST/PATCH /api/products: the public catalogue and the admin's edits."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from db.emarket import ProductAccounting
from emarket.storage import unit_of_work
from tests.support.shop_pages import NEW_PRODUCT, create_product
from tests.support.tokens import bearer, mint
from tests.web.shop.conftest import ADMIN, assert_error, bad_tokens, revoked_token


def test_admin_creates_a_product_and_sees_its_stock(client, admin_headers):
    response = client.post("/api/products", json=NEW_PRODUCT, headers=admin_headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "name": "Kettle", "description": "1.7 l, steel", "price": 2599,
                    "available": 10, "count": 10, "reserved": 0, "hidden": False, "currency": "USD"}
    assert response.headers["Location"] == f"/api/products/{body['id']}"


def test_description_is_optional(client, admin_headers):
    response = client.post("/api/products", json={"name": "Cup", "price": 1, "count": 0}, headers=admin_headers)
    assert response.status_code == 201
    assert response.get_json()["description"] == "" and response.get_json()["available"] == 0


def test_anyone_reads_a_product_without_stock_details(client, admin_headers, user_headers):
    product = create_product(client, admin_headers)
    for headers in ({}, user_headers):
        body = client.get(f"/api/products/{product['id']}", headers=headers).get_json()
        assert body == {"id": product["id"], "name": "Kettle", "description": "1.7 l, steel",
                        "price": 2599, "available": 10, "currency": "USD"}
    admin_view = client.get(f"/api/products/{product['id']}", headers=admin_headers).get_json()
    assert admin_view["count"] == 10 and admin_view["reserved"] == 0


def test_the_list_is_newest_first_and_paginated(client, admin_headers):
    ids = [create_product(client, admin_headers, name=f"P{i}")["id"] for i in range(5)]
    first = client.get("/api/products?limit=2").get_json()
    assert [p["id"] for p in first["products"]] == ids[::-1][:2]
    assert first["currency"] == "USD" and "count" not in first["products"][0]
    second = client.get(f"/api/products?limit=2&cursor={first['next']}").get_json()
    third = client.get(f"/api/products?limit=2&cursor={second['next']}").get_json()
    assert [p["id"] for p in second["products"] + third["products"]] == ids[::-1][2:]
    assert third["next"] is None
    everything = client.get("/api/products", headers=admin_headers).get_json()
    assert len(everything["products"]) == 5 and everything["next"] is None
    assert everything["products"][0]["count"] == 10


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "limit=1.0", "limit=-1", "limit=",
                                   "cursor=garbage!", "cursor=Zm9v", "cursor=aWR8MA", "cursor=aWR8LTE",
                                   "cursor=" + "A" * 300])
def test_bad_paging_is_400(client, query):
    assert_error(client.get(f"/api/products?{query}"), 400)


def test_unknown_or_malformed_product_is_404(client, admin_headers):
    for path in ("/api/products/1", "/api/products/abc", "/api/products/-1", "/api/products/0",
                 "/api/products/99999999999999999999999999", "/api/products/1.5"):
        assert_error(client.get(path), 404)
        assert_error(client.patch(path, json={"price": 5}, headers=admin_headers), 404)


def test_admin_edits_a_product(client, admin_headers):
    product = create_product(client, admin_headers)
    response = client.patch(f"/api/products/{product['id']}", json={"price": 3000, "count": 4},
                            headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json() == {**product, "price": 3000, "count": 4, "available": 4}
    renamed = client.patch(f"/api/products/{product['id']}", json={"name": "Big kettle", "description": ""},
                           headers=admin_headers).get_json()
    assert renamed["name"] == "Big kettle" and renamed["description"] == "" and renamed["price"] == 3000
    assert client.patch(f"/api/products/{product['id']}", json={}, headers=admin_headers).get_json() == renamed


def test_count_may_not_go_below_reserved(client, admin_headers, snapshot):
    product = create_product(client, admin_headers)
    with unit_of_work("emarket") as uow:
        uow.session.execute(update(ProductAccounting).where(ProductAccounting.product_id == product["id"])
                            .values(reserved=3))
    before = snapshot()
    assert_error(client.patch(f"/api/products/{product['id']}", json={"count": 2, "price": 9},
                              headers=admin_headers), 409, "count_below_reserved")
    assert snapshot() == before
    ok = client.patch(f"/api/products/{product['id']}", json={"count": 3}, headers=admin_headers).get_json()
    assert ok["available"] == 0 and ok["reserved"] == 3


def test_non_admin_may_not_write(client, admin_headers, user_headers, snapshot):
    product = create_product(client, admin_headers)
    before = snapshot()
    assert_error(client.post("/api/products", json=NEW_PRODUCT, headers=user_headers), 403, "forbidden")
    assert_error(client.patch(f"/api/products/{product['id']}", json={"price": 1}, headers=user_headers), 403)
    assert_error(client.post("/api/products", json=NEW_PRODUCT), 401)
    assert_error(client.patch(f"/api/products/{product['id']}", json={"price": 1}), 401)
    assert snapshot() == before


@pytest.mark.parametrize("kind", list(bad_tokens()))
def test_bad_tokens_are_401_even_on_public_reads(client, admin_headers, snapshot, kind):
    product = create_product(client, admin_headers)
    headers = bad_tokens(ADMIN, ["admin"])[kind]
    before = snapshot()
    assert_error(client.get("/api/products", headers=headers), 401)
    assert_error(client.get(f"/api/products/{product['id']}", headers=headers), 401)
    assert_error(client.post("/api/products", json=NEW_PRODUCT, headers=headers), 401)
    assert_error(client.patch(f"/api/products/{product['id']}", json={"price": 7}, headers=headers), 401)
    assert snapshot() == before


def test_a_revoked_token_is_401(client, admin_headers, snapshot):
    headers = revoked_token(ADMIN, ["admin"])
    before = snapshot()
    assert_error(client.post("/api/products", json=NEW_PRODUCT, headers=headers), 401)
    assert_error(client.get("/api/products", headers=headers), 401)
    assert snapshot() == before


BAD_BODIES = [
    {}, {"name": "x", "price": 1}, {**NEW_PRODUCT, "extra": 1}, {**NEW_PRODUCT, "price": "1"}, {**NEW_PRODUCT, "price": True},
    {**NEW_PRODUCT, "price": 1.0}, {**NEW_PRODUCT, "price": 0}, {**NEW_PRODUCT, "price": -5}, {**NEW_PRODUCT, "price": 100_000_001},
    {**NEW_PRODUCT, "price": 10**30}, {**NEW_PRODUCT, "count": -1}, {**NEW_PRODUCT, "count": 1_000_001}, {**NEW_PRODUCT, "count": None},
    {**NEW_PRODUCT, "name": ""}, {**NEW_PRODUCT, "name": "n" * 201}, {**NEW_PRODUCT, "name": 5}, {**NEW_PRODUCT, "description": "d" * 5001},
    {**NEW_PRODUCT, "description": None}, [NEW_PRODUCT], "text", 5, None,
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_create_bodies_are_400_and_change_nothing(client, admin_headers, snapshot, body):
    before = snapshot()
    assert_error(client.post("/api/products", data=json.dumps(body), content_type="application/json",
                             headers=admin_headers), 400)
    assert snapshot() == before


@pytest.mark.parametrize("body", [
    {"price": 0}, {"price": "5"}, {"count": -1}, {"count": 1.5}, {"count": False}, {"name": ""},
    {"name": None}, {"price": None}, {"reserved": 0}, {"available": 3}, {"id": 2}, [], "x",
])
def test_bad_patch_bodies_are_400_and_change_nothing(client, admin_headers, snapshot, body):
    product = create_product(client, admin_headers)
    before = snapshot()
    assert_error(client.patch(f"/api/products/{product['id']}", data=json.dumps(body),
                              content_type="application/json", headers=admin_headers), 400)
    assert snapshot() == before


@pytest.mark.parametrize("raw", [b"", b"{", b"{'name': 1}", b"\xff\xfe", b"[" * 5000 + b"]" * 5000])
def test_malformed_json_is_400(client, admin_headers, snapshot, raw):
    before = snapshot()
    assert_error(client.post("/api/products", data=raw, content_type="application/json",
                             headers=admin_headers), 400)
    assert snapshot() == before


def test_a_body_over_64_kib_is_413(client, admin_headers, snapshot):
    before = snapshot()
    huge = json.dumps({**NEW_PRODUCT, "description": "d" * 70_000})
    assert_error(client.post("/api/products", data=huge, content_type="application/json",
                             headers=admin_headers), 413)
    assert snapshot() == before


def test_wrong_methods_are_405(client, admin_headers):
    product = create_product(client, admin_headers)
    assert_error(client.delete(f"/api/products/{product['id']}", headers=admin_headers), 405)
    assert_error(client.put("/api/products", json=NEW_PRODUCT, headers=admin_headers), 405)
    assert_error(client.post(f"/api/products/{product['id']}", json=NEW_PRODUCT, headers=admin_headers), 405)


def test_a_user_token_with_a_bad_subject_is_401(client):
    assert_error(client.get("/api/products", headers=bearer(mint("abc"))), 401)
