"""Who may see and do what: another user's order, wallet and top-up are 404 (their existence is
not revealed); admin endpoints are 403 for users; each bank key stays on its own endpoints."""
from __future__ import annotations

import uuid

from db.account import Topup, WalletEntry
from emarket.storage import unit_of_work
from tests.security.conftest import as_user
from tests.security.stack import BANK_ADMIN, BANK_MERCHANT
from tests.support import seed
from tests.support.tokens import mint


def assert_error(response, status: int):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body


def _topup_of(user_id: int, amount: int = 700) -> str:
    topup_id = str(uuid.uuid4())
    with unit_of_work("account") as uow:
        uow.session.add(Topup(id=topup_id, user_id=user_id, amount=amount, bank_account="123456",
                              status="initiated"))
        uow.session.add(WalletEntry(user_id=user_id, kind="adjustment", amount=amount))
    return topup_id


def test_another_users_order_is_404_to_read_pay_or_cancel(shop, ann_order, unchanged):
    _ann, order_id = ann_order
    bob = seed.user(balance=10_000)
    with unchanged():
        assert_error(shop.get(f"/api/orders/{order_id}", headers=as_user(bob)), 404)
        assert_error(shop.post(f"/api/orders/{order_id}/payment", headers=as_user(bob)), 404)
        assert_error(shop.post(f"/api/orders/{order_id}/cancel", headers=as_user(bob)), 404)
        assert shop.get("/api/orders", headers=as_user(bob)).get_json()["orders"] == []
        # Not even an admin token reads someone else's order through the user API.
        assert_error(shop.get(f"/api/orders/{order_id}", headers=as_user(bob, ["admin"])), 404)
    # Bob's answer is the same as for an order that does not exist at all.
    missing = shop.get(f"/api/orders/{uuid.uuid4()}", headers=as_user(bob))
    mine = shop.get(f"/api/orders/{order_id}", headers=as_user(bob))
    assert mine.get_json() == missing.get_json()


def test_another_users_order_page_is_404(shop, ann_order, unchanged):
    _ann, order_id = ann_order
    bob = seed.user()
    shop.set_cookie("access_token_cookie", mint(bob, csrf="c"))
    with unchanged():
        page = shop.get(f"/orders/{order_id}")
        assert page.status_code == 404 and order_id not in page.get_data(as_text=True)


def test_another_users_top_up_is_404_and_their_wallet_is_never_shown(shop, unchanged):
    ann, bob = seed.user(balance=9_000), seed.user(balance=100)
    topup_id = _topup_of(ann)
    with unchanged():
        assert_error(shop.get(f"/api/wallet/topups/{topup_id}", headers=as_user(bob)), 404)
        assert shop.get("/api/wallet/topups", headers=as_user(bob)).get_json()["topups"] == []
        assert shop.get("/api/wallet/transactions", headers=as_user(bob)).get_json()["transactions"] == []
        wallet = shop.get("/api/wallet", headers=as_user(bob)).get_json()
        assert (wallet["balance"], wallet["frozen"]) == (100, 0)
        # Query strings naming another user are ignored: the wallet is always the caller's.
        for query in (f"?user_id={ann}", f"?user={ann}", f"?sub={ann}"):
            assert shop.get("/api/wallet" + query, headers=as_user(bob)).get_json()["balance"] == 100
    assert shop.get(f"/api/wallet/topups/{topup_id}", headers=as_user(ann)).status_code == 200


def test_admin_endpoints_are_403_for_users(shop, unchanged):
    user = seed.user()
    tea = seed.product(count=5)
    with unchanged():
        assert_error(shop.post("/api/products", json={"name": "Tea", "price": 100, "count": 1},
                               headers=as_user(user)), 403)
        assert_error(shop.patch(f"/api/products/{tea}", json={"count": 0}, headers=as_user(user)), 403)
        assert_error(shop.patch(f"/api/products/{tea}", json={"price": 1}, headers=as_user(user, ["user"])), 403)
        # A user sees no admin fields.
        assert "count" not in shop.get(f"/api/products/{tea}", headers=as_user(user)).get_json()
        shop.set_cookie("access_token_cookie", mint(user, csrf="c"))
        assert shop.get("/admin/products").status_code == 403


def test_bank_keys_stay_on_their_own_endpoints(bank, unchanged):
    number = bank.post("/bank/accounts", json={"owner": "Ann", "pin": "1234", "balance": 5_000},
                       headers=BANK_ADMIN).get_json()["number"]
    hold = {"account": number, "amount": 100, "reference": "r"}
    with unchanged():
        assert_error(bank.post("/bank/accounts", json={"owner": "Eve", "pin": "1234", "balance": 1},
                               headers=BANK_MERCHANT), 403)
        assert_error(bank.get(f"/bank/accounts/{number}", headers=BANK_MERCHANT), 403)
        assert_error(bank.post("/bank/holds", json=hold, headers=BANK_ADMIN), 403)
        assert_error(bank.get(f"/bank/accounts/{number}/availability?amount=1", headers=BANK_ADMIN), 403)
        for headers in ({}, {"X-Api-Key": ""}, {"X-Api-Key": "guess"}, {"X-Api-Key": "' OR '1'='1"},
                        {"X-Api-Key": BANK_ADMIN["X-Api-Key"] + " "}, {"X-Api-Key": "x" * 5000}):
            assert_error(bank.post("/bank/holds", json=hold, headers=headers), 401)
            assert_error(bank.get(f"/bank/accounts/{number}", headers=headers), 401)
