"""GET /api/wallet and /api/wallet/transactions: the caller's own money only."""
from __future__ import annotations

import pytest

from db.account import User, Wallet, WalletEntry
from emarket.storage import unit_of_work
from tests.support.tokens import bearer, mint
from tests.web.shop.conftest import OTHER, USER, assert_error, bad_tokens, revoked_token


def give_wallet(user_id: int, balance: int, entries=()) -> list[int]:
    with unit_of_work("account") as uow:
        uow.session.add(User(id=user_id, email=f"u{user_id}@example.com"))
        uow.session.flush()
        uow.session.add(Wallet(user_id=user_id, balance=balance))
        uow.session.flush()
        rows = [WalletEntry(user_id=user_id, **entry) for entry in entries]
        uow.session.add_all(rows)
        uow.session.flush()
        return [row.id for row in rows]


def test_wallet_shows_balance_frozen_and_currency(client, user_headers):
    """``frozen`` is always 0: a payment checks and debits at once, nothing is held between steps."""
    give_wallet(USER, 12_345)
    give_wallet(OTHER, 1)
    response = client.get("/api/wallet", headers=user_headers)
    assert response.status_code == 200
    assert response.get_json() == {"balance": 12_345, "frozen": 0, "currency": "USD"}


def test_a_user_without_a_wallet_yet_has_zero(client, user_headers):
    assert client.get("/api/wallet", headers=user_headers).get_json() == {"balance": 0, "frozen": 0, "currency": "USD"}
    body = client.get("/api/wallet/transactions", headers=user_headers).get_json()
    assert body == {"transactions": [], "currency": "USD", "next": None}


def test_transactions_are_newest_first_paginated_and_own_only(client, user_headers):
    ids = give_wallet(USER, 100, entries=[
        {"kind": "adjustment", "amount": 1000},
        {"kind": "debit", "amount": -300, "order_id": "00000000-0000-4000-8000-000000000001"},
        {"kind": "refund", "amount": 300, "order_id": "00000000-0000-4000-8000-000000000001"},
        {"kind": "topup", "amount": 50, "topup_id": "00000000-0000-4000-8000-0000000000aa"},
    ])
    give_wallet(OTHER, 0, entries=[{"kind": "adjustment", "amount": 7}])
    first = client.get("/api/wallet/transactions?limit=3", headers=user_headers).get_json()
    assert [t["id"] for t in first["transactions"]] == ids[::-1][:3]
    assert first["transactions"][0] == {"id": ids[3], "kind": "topup", "amount": 50, "order_id": None,
                                        "topup_id": "00000000-0000-4000-8000-0000000000aa",
                                        "at": first["transactions"][0]["at"]}
    assert first["transactions"][0]["at"].endswith("Z") and first["currency"] == "USD"
    rest = client.get(f"/api/wallet/transactions?limit=3&cursor={first['next']}", headers=user_headers).get_json()
    assert [(t["id"], t["kind"], t["amount"]) for t in rest["transactions"]] == [(ids[0], "adjustment", 1000)]
    assert rest["next"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "cursor=%25%25", "cursor=aWR8eA"])
def test_bad_paging_is_400(client, user_headers, query):
    assert_error(client.get(f"/api/wallet/transactions?{query}", headers=user_headers), 400)


@pytest.mark.parametrize("path", ["/api/wallet", "/api/wallet/transactions"])
def test_tokens_are_required_and_checked(client, path):
    assert_error(client.get(path), 401)
    for headers in bad_tokens().values():
        assert_error(client.get(path, headers=headers), 401)
    assert_error(client.get(path, headers=revoked_token()), 401)
    assert_error(client.get(path, headers=bearer(mint(USER, kind="refresh"))), 401)


def test_wrong_methods_are_405(client, user_headers):
    assert_error(client.post("/api/wallet", json={}, headers=user_headers), 405)
    assert_error(client.delete("/api/wallet/transactions", headers=user_headers), 405)
