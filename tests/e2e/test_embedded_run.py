"""`emarket up` on the embedded default (the pip-shipped PostgreSQL and Redis) serves the shop: a
scripted check logs in as the demo user, places and pays an order and sees it completed, then
Ctrl-C stops every process. One scenario in one test, as a newcomer lives it: the suite runs in a
random order, and a Ctrl-C test of its own could stop the run before the order test used it."""
from __future__ import annotations

import signal

import pytest
import requests

from emarket import demo
from tests.support.embedded_run import embedded_run
from tests.support.wait import wait_until


@pytest.fixture
def embedded(tmp_path):
    with embedded_run(tmp_path) as (urls, process, _env):
        yield urls, process


def test_demo_user_orders_and_pays_then_ctrl_c_stops_every_process(embedded):
    urls, process = embedded
    login = requests.post(urls["auth"] + "/auth/login", json={"email": demo.SHOPPER[0], "password": demo.SHOPPER[1]}, timeout=10)
    assert login.status_code == 200, login.text
    headers = {"Authorization": "Bearer " + login.json()["access_token"]}
    product = requests.get(urls["shop"] + "/api/products", timeout=10).json()["products"][0]

    placed = requests.post(urls["shop"] + "/api/orders?wait=20", headers=headers, timeout=30,
                           json={"items": [{"product_id": product["id"], "quantity": 1}]})
    assert placed.status_code == 200, placed.text
    order = placed.json()
    assert order["status"] == "awaiting_payment" and order["total"] == product["price"]

    paid = requests.post(urls["shop"] + f"/api/orders/{order['id']}/payment", headers=headers, timeout=30)
    assert paid.status_code == 202, paid.text

    def completed():
        body = requests.get(urls["shop"] + f"/api/orders/{order['id']}", headers=headers, timeout=10).json()
        return body["status"] == "completed" and body

    final = wait_until(completed, timeout=60, interval=0.2, what="the order to complete")
    assert [e["name"] for e in final["events"]][-1] == "completed"
    wallet = requests.get(urls["shop"] + "/api/wallet", headers=headers, timeout=10).json()
    assert wallet["balance"] == demo.SHOPPER_WALLET - product["price"]

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(urls["shop"] + "/api/products", timeout=2)
