"""The cart's pages (session-kept lines, quantities, removal, a sold-out line said before
checkout) and the shopper's pages in words: statuses, the timeline with money, times as
``<time>`` elements whose visible text is never a raw RFC 3339 string."""
from __future__ import annotations

import html as htmllib
import re
import uuid
from datetime import timedelta

import pytest

from db.base import utcnow
from db.emarket import Order, OrderItem, SagaEvent
from emarket import catalog
from emarket.storage import unit_of_work
from tests.support.shop_pages import CSRF, USER, hidden_csrf, log_in

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def visible_text(page: str) -> str:
    """What a reader sees: the markup's text, without tags and attributes."""
    body = page.split("<body", 1)[1]
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)))


@pytest.fixture
def products(dbs):
    with unit_of_work("emarket") as uow:
        tea = catalog.create_product(uow, name="Green tea", price=250, count=10)
        cup = catalog.create_product(uow, name="Blue cup", price=1_000, count=1)
        gone = catalog.create_product(uow, name="Old kettle", price=5_000, count=0)
    return tea, cup, gone


def _add(client, product_id, quantity="1", csrf=CSRF, back="/"):
    return client.post("/cart/add", data={"product_id": str(product_id), "quantity": quantity,
                                          "csrf_token": csrf, "next": back})


def test_lines_are_added_counted_in_the_header_changed_and_removed(client, products):
    tea, cup, _ = products
    log_in(client)
    assert _add(client, tea.id, "2").status_code == 303
    assert _add(client, tea.id).status_code == 303  # the same product again: one line, 3 units
    # Back to the page it came from, at the button pressed (app.js gives it the focus).
    assert _add(client, cup.id, back="/products/1").headers["Location"] == f"/products/1#add-{cup.id}"
    page = client.get("/cart").get_data(as_text=True)
    assert 'aria-label="4 items"' in page and "Green tea" in page and "Blue cup" in page
    assert f'name="quantity-{tea.id}" value="3"' in page and "17.50 USD" in page  # 3 × 2.50 + 10.00
    assert 'id="place-order"' in page and "disabled" not in page.split('id="place-order"')[1].split(">")[0]
    changed = client.post("/cart/update", data={"csrf_token": CSRF, f"quantity-{tea.id}": "1",
                                                f"quantity-{cup.id}": "1", "remove": str(cup.id)})
    assert changed.status_code == 303
    page = client.get("/cart").get_data(as_text=True)
    assert "Blue cup" not in page and 'aria-label="1 items"' in page and "2.50 USD" in page


def test_a_bad_quantity_is_said_next_to_its_field_and_changes_nothing(client, products):
    tea, _, _ = products
    log_in(client)
    _add(client, tea.id, "2")
    refused = client.post("/cart/update", data={"csrf_token": CSRF, f"quantity-{tea.id}": "0"})
    # Post/Redirect/Get: the error shows on /cart, beside the field still holding what was typed.
    assert refused.status_code == 303 and refused.headers["Location"] == "/cart"
    page = client.get("/cart").get_data(as_text=True)
    assert f'aria-describedby="line-error-{tea.id}"' in page and f'name="quantity-{tea.id}" value="0"' in page
    assert "Choose a quantity from 1 to 1000, or press Remove." in page and 'aria-label="2 items"' in page
    assert _add(client, tea.id, "1001").status_code == 303
    page = client.get("/cart").get_data(as_text=True)  # the error was said once; the cart kept 2
    assert 'value="2"' in page and "line-error-" not in page


def test_a_line_that_ran_out_says_so_before_checkout(client, products):
    _, cup, gone = products
    log_in(client)
    _add(client, cup.id, "2")  # more than the stock: refused when adding
    assert "line-error" not in client.get("/cart").get_data(as_text=True)
    _add(client, cup.id, "1")
    client.post("/cart/update", data={"csrf_token": CSRF, f"quantity-{cup.id}": "2"})
    page = client.get("/cart").get_data(as_text=True)
    assert "Only 1 left: lower the quantity." in page
    assert "disabled" in page.split('id="place-order"')[1].split(">")[0]
    with unit_of_work("emarket") as uow:
        catalog.update_product(uow, cup.id, count=0)
    assert "Sold out: remove it to order the rest." in client.get("/cart").get_data(as_text=True)
    refused = client.post("/cart/checkout", data={"csrf_token": CSRF, f"quantity-{cup.id}": "1",
                                                  "idempotency_key": "k"})
    assert refused.status_code == 409 and "Sold out" in refused.get_data(as_text=True)
    assert gone.available == 0


def test_anyone_may_fill_a_cart_but_only_a_logged_in_shopper_places_it(client, products):
    tea, _, _ = products
    token = next(iter(hidden_csrf(client.get("/").get_data(as_text=True))))
    assert _add(client, tea.id, csrf=token).status_code == 303
    page = client.get("/cart").get_data(as_text=True)
    assert "Green tea" in page and "Log in to place your order" in page and 'id="place-order"' not in page
    checkout = client.post("/cart/checkout", data={"csrf_token": token, f"quantity-{tea.id}": "1"})
    assert checkout.status_code == 303 and checkout.headers["Location"].startswith("/login?next=/cart")


def test_cart_forms_without_their_csrf_token_are_refused(client, products):
    tea, _, _ = products
    client.get("/")
    assert _add(client, tea.id, csrf="wrong").status_code == 403
    log_in(client)
    # A token cookie whose CSRF token is not on the form does not make a logged-in visitor:
    # the form is refused as an anonymous one, and the checkout sends to the log-in page.
    assert _add(client, tea.id, csrf="wrong").status_code == 403
    checkout = client.post("/cart/checkout", data={f"quantity-{tea.id}": "1", "idempotency_key": "k"})
    assert checkout.status_code == 303 and checkout.headers["Location"].startswith("/login")
    assert 'aria-label' not in client.get("/cart").get_data(as_text=True).split('id="cart-link"')[1].split("</a>")[0]
    with unit_of_work("emarket") as uow:
        assert uow.session.query(Order).count() == 0


@pytest.fixture
def cancelled_order(dbs, products):
    tea, _, _ = products
    order_id, now = str(uuid.uuid4()), utcnow()
    with unit_of_work("emarket") as uow:
        uow.session.add(Order(id=order_id, user_id=USER, status="cancelled", reason="insufficient_funds", total=500,
                              payment_deadline=now + timedelta(minutes=5), created_at=now, updated_at=now))
        uow.session.flush()
        uow.session.add(OrderItem(order_id=order_id, product_id=tea.id, quantity=2, price=250))
        steps = [("accepted", ""), ("registered", ""), ("stock_checked", ""),
                 ("awaiting_payment", f"deadline {(now + timedelta(minutes=5)).isoformat()}"),
                 ("payment_started", ""), ("stock_reserved", ""), ("charge_failed", "insufficient_funds"),
                 ("money_refunded", "500"), ("stock_released", ""), ("cancelled", "insufficient_funds")]
        for offset, (name, detail) in enumerate(steps):
            uow.session.add(SagaEvent(order_id=order_id, name=name, detail=detail, at=now + timedelta(seconds=offset)))
    return order_id


def test_the_order_page_speaks_in_words_and_offers_no_button_once_final(client, cancelled_order):
    log_in(client)
    page = client.get(f"/orders/{cancelled_order}").get_data(as_text=True)
    text = visible_text(page)
    assert "Cancelled — not enough money in your wallet" in text and 'data-status="cancelled"' in page
    assert "Green tea" in text and "Payment failed: not enough money in your wallet" in text
    assert "5.00 USD refunded to your wallet" in text and "Items put back on the shelf" in text
    assert 'id="pay"' not in page and 'id="cancel"' not in page and 'id="countdown"' not in page
    assert "<time datetime=" in page and not RFC3339.search(text)
    assert "charge_failed" not in text and "insufficient_funds" not in text


def test_every_shopper_page_shows_times_without_raw_rfc3339(client, cancelled_order, products):
    log_in(client)
    _add(client, products[0].id)
    for path in ("/", f"/products/{products[0].id}", "/cart", "/orders", "/orders/live",
                 f"/orders/{cancelled_order}", f"/orders/{cancelled_order}/live", "/wallet", "/wallet/live"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not RFC3339.search(visible_text("<body>" + response.get_data(as_text=True))), path


def test_live_fragments_are_the_changing_parts_only(client, cancelled_order):
    log_in(client)
    fragment = client.get(f"/orders/{cancelled_order}/live").get_data(as_text=True)
    assert "<html" not in fragment
    assert 'data-final="yes"' in fragment and "Green tea" in fragment
    rows = client.get("/orders/live").get_data(as_text=True)
    assert f'data-order-id="{cancelled_order}"' in rows and "2 × Green tea" in rows and "<html" not in rows
