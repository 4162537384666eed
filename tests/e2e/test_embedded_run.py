"""`emarket up` on the embedded default (SQLite + the pip-shipped Redis) serves the shop: a
scripted check logs in as the demo user, places and pays an order and sees it completed."""
from __future__ import annotations

import signal

import pytest
import requests

from emarket import demo
from tests.support.embedded_run import embedded_run
from tests.support.wait import wait_until

# Alone under -n 4: twice in CI-sized runs the embedded run's auth server refused the login a
# moment after it had answered its health check while the other workers ran their stacks
# (not understood yet; it never happened with the suite in one process). Run alone, as a
# newcomer's laptop runs it.
pytestmark = pytest.mark.exclusive


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    with embedded_run(tmp_path_factory.mktemp("embedded")) as (urls, process, _env):
        yield urls, process


def test_demo_user_orders_and_pays_on_the_embedded_run(embedded):
    urls, _process = embedded
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


def test_ctrl_c_stops_every_process(embedded):
    """Runs last in this module: it ends the run the fixture started."""
    urls, process = embedded
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(urls["shop"] + "/api/products", timeout=2)
