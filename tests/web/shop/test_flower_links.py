"""The console links a step's task to Flower only when Flower knows it: a task that ran before
Flower started (Flower answers 404 "Unknown task") is shown as its id, "not in Flower". Flower
here is a small HTTP server answering its API's two outcomes; the shop's code runs for real."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.support.shop_pages import ADMIN, log_in, saga_order


class _Flower(BaseHTTPRequestHandler):
    known: ClassVar[set[str]] = set()  # the handler class is the server's only state

    def do_GET(self):  # http.server's name
        task_id = self.path.rsplit("/", 1)[-1]
        self.send_response(200 if self.path.startswith("/api/task/info/") and task_id in self.known else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def flower_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flower)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def settings_overrides(flower_server) -> dict:
    return {"flower_public_url": f"http://127.0.0.1:{flower_server.server_address[1]}"}


@pytest.fixture
def flower(flower_server):
    return _Flower


def test_only_the_tasks_flower_knows_are_linked_to_it(client, dbs, flower):
    old, new = f"old-{uuid.uuid4()}", f"new-{uuid.uuid4()}"
    flower.known = {new}
    order_id = saga_order("processing", timedelta(seconds=1), [
        ("accepted", "", {}),
        ("registered", "", {"task_id": old, "worker": "celery@order-1", "attempt": 1}),
        ("stock_checked", "", {"task_id": new, "worker": "celery@product-1", "attempt": 1}),
    ])
    log_in(client, ADMIN, ["admin"])
    page = client.get(f"/admin/sagas/{order_id}").get_data(as_text=True)
    assert f"/task/{new}\"" in page and f"/task/{old}\"" not in page
    assert f"<code>{old}</code> <span class=\"muted\">(not in Flower" in page
