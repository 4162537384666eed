"""The order page and the cabinet in words: the wallet's balance beside Pay (a top-up link back
to the order when it is short), what a cancelled payment did to the wallet, and each order's
number in "My orders"."""
from __future__ import annotations

from sqlalchemy import update

from db.account import User, Wallet
from db.base import utcnow
from db.emarket import Order, SagaEvent
from emarket.storage import unit_of_work
from tests.support.shop_pages import CSRF, USER, log_in


def _wallet(balance: int) -> None:
    with unit_of_work("account") as uow:
        if uow.session.get(Wallet, USER) is None:
            uow.session.add(User(id=USER, email="shopper@example.com"))
            uow.session.flush()
            uow.session.add(Wallet(user_id=USER, balance=balance))
        else:
            uow.session.execute(update(Wallet).where(Wallet.user_id == USER).values(balance=balance))


def test_a_short_wallet_is_said_before_pay_with_a_top_up_link_back(client, order):
    _wallet(500)
    log_in(client)
    page = client.get(f"/orders/{order}").get_data(as_text=True)
    assert "Your wallet holds <strong id=\"balance\">5.00 USD</strong>" in page and "34.98 USD short" in page
    assert f'href="/wallet?back=/orders/{order}"' in page and "Pay 39.98 USD anyway" in page
    wallet = client.get(f"/wallet?back=/orders/{order}").get_data(as_text=True)
    assert f'<a href="/orders/{order}">go back to your order</a>' in wallet
    assert 'id="back-to-order"' not in client.get("/wallet?back=https://evil.example/").get_data(as_text=True)


def test_enough_money_shows_the_balance_and_a_plain_pay(client, order):
    _wallet(10_000)
    log_in(client)
    page = client.get(f"/orders/{order}").get_data(as_text=True)
    assert "100.00 USD" in page and "short" not in page and ">Pay 39.98 USD</button>" in page


def test_a_payment_refused_for_money_says_nothing_was_charged_and_offers_to_order_again(client, order):
    with unit_of_work("emarket") as uow:
        uow.session.execute(update(Order).where(Order.id == order).values(status="cancelled",
                                                                          reason="insufficient_funds"))
        uow.session.add(SagaEvent(order_id=order, name="charge_failed", detail="insufficient_funds", at=utcnow()))
    log_in(client)
    page = client.get(f"/orders/{order}").get_data(as_text=True)
    assert "Your wallet was not charged." in page and 'id="order-again"' in page
    again = client.post(f"/orders/{order}/again", data={"csrf_token": CSRF})
    assert again.status_code == 303 and again.headers["Location"] == "/cart"
    assert 'name="quantity-' in client.get("/cart").get_data(as_text=True)


def test_my_orders_shows_each_orders_number_items_and_total(client, order):
    log_in(client)
    page = client.get("/orders").get_data(as_text=True)
    assert f'>Order {order[:8]}</a>' in page and "2 × Tea &lt;b&gt;bold&lt;/b&gt;" in page and "39.98 USD" in page
