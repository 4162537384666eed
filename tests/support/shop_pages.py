"""What the shop's page and API tests share (tests/web/shop): the users they act as, a session
cookie pair with its CSRF token, and the rows they build through the shop's own code. Here, not
in a test module, so that no test module imports another."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

from db.base import utcnow
from db.emarket import Order, OrderItem, SagaEvent
from emarket import catalog
from emarket.storage import unit_of_work
from tests.support.tokens import mint

USER, OTHER, ADMIN = 101, 102, 900

CSRF = "csrf-of-this-session"

NEW_PRODUCT = {"name": "Kettle", "description": "1.7 l, steel", "price": 2599, "count": 10}


def log_in(client, user_id=USER, roles=(), **claims):
    """The browser's cookies of a logged-in user, their CSRF token ``CSRF``."""
    client.set_cookie("access_token_cookie", mint(user_id, roles, csrf=CSRF, **claims))
    client.set_cookie("csrf_access_token", CSRF)


def hidden_csrf(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]*)"', html))


def create_product(client, admin_headers, **fields) -> dict:
    """``NEW_PRODUCT`` (with ``fields`` changed) created through the admin API: its JSON."""
    response = client.post("/api/products", json={**NEW_PRODUCT, **fields}, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def saga_order(status: str, age: timedelta, events=()) -> str:
    """An order of USER's in ``status``, last touched ``age`` ago, with these saga events
    ((name, detail, run columns), 40 ms apart): its id."""
    order_id, moment = str(uuid.uuid4()), utcnow() - age
    with unit_of_work("emarket") as uow:
        tea = catalog.create_product(uow, name="Console tea", price=300, count=5)
        uow.session.add(Order(id=order_id, user_id=USER, status=status, created_at=moment, updated_at=moment))
        uow.session.flush()
        uow.session.add(OrderItem(order_id=order_id, product_id=tea.id, quantity=2))
        for offset, (name, detail, run) in enumerate(events):
            uow.session.add(SagaEvent(order_id=order_id, name=name, detail=detail,
                                      at=moment + timedelta(milliseconds=40 * offset), **run))
    return order_id
