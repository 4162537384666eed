"""A logged-in shopper's cart is saved under their id (emarket.saved_carts): it waits for them
in a new browser session, and the cart they filled anonymously joins it at login (the login
itself, through the real auth service, is tests/e2e/test_saved_cart.py)."""
from __future__ import annotations

import pytest
from flask import session

from emarket import catalog, saved_carts
from emarket.storage import unit_of_work
from tests.support.shop_pages import CSRF, OTHER, USER, log_in
from web.shop import cart


@pytest.fixture
def tea(dbs):
    with unit_of_work("emarket") as uow:
        return catalog.create_product(uow, name="Green tea", price=250, count=10)


def test_merging_sums_a_product_in_both_and_keeps_the_carts_limits():
    assert cart.merge({1: 3, 2: 999}, {2: 5, 3: 1}) == {1: 3, 2: 1_000, 3: 1}  # capped at 1,000
    full = dict.fromkeys(range(1, cart.MAX_LINES + 1), 1)
    merged = cart.merge(full, {1: 2, 999: 4})
    # A product already in the cart still adds up; a 51st line is dropped, as "Add" refuses it.
    assert len(merged) == cart.MAX_LINES and merged[1] == 3 and 999 not in merged
    assert list(cart.merge({7: 1}, {5: 1, 7: 1})) == [7, 5]  # the lines just chosen come first


def test_a_shoppers_cart_waits_for_them_in_a_new_browser_session(app, tea):
    first = app.test_client()
    log_in(first)
    first.post("/cart/add", data={"product_id": str(tea.id), "quantity": "2", "csrf_token": CSRF, "next": "/"})
    with unit_of_work("emarket") as uow:
        assert saved_carts.load(uow, USER) == {tea.id: 2}
        assert saved_carts.load(uow, OTHER) == {}
    second = app.test_client()  # another browser: no session cookie, the same user
    log_in(second)
    assert f'name="quantity-{tea.id}" value="2"' in second.get("/cart").get_data(as_text=True)
    stranger = app.test_client()
    log_in(stranger, OTHER)
    assert "Green tea" not in stranger.get("/cart").get_data(as_text=True)


def test_the_anonymous_cart_joins_the_saved_one_at_login(app, tea):
    with unit_of_work("emarket") as uow:
        cup = catalog.create_product(uow, name="Blue cup", price=1_000, count=1)
        saved_carts.replace(uow, USER, {tea.id: 2})
    with app.test_request_context("/login", method="POST"):
        session["cart"] = {str(tea.id): 3, str(cup.id): 1}
        cart.adopt(USER)
        assert session["cart"] == {str(tea.id): 5, str(cup.id): 1}
    with unit_of_work("emarket") as uow:
        assert saved_carts.load(uow, USER) == {tea.id: 5, cup.id: 1}


def test_a_line_removed_leaves_the_saved_cart_too(app, tea):
    client = app.test_client()
    log_in(client)
    client.post("/cart/add", data={"product_id": str(tea.id), "quantity": "1", "csrf_token": CSRF, "next": "/"})
    client.post("/cart/update", data={"csrf_token": CSRF, f"quantity-{tea.id}": "1", "remove": str(tea.id)})
    with unit_of_work("emarket") as uow:
        assert saved_carts.load(uow, USER) == {}
