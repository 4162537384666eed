"""A database out of reach (a crash, a restart, a failover) is a 503 with Retry-After in the
API's error shape, never a 500: the client retries the same request (docs/cluster.md)."""
from __future__ import annotations

import socket

import pytest

from tests.support.env import settings_over


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


@pytest.fixture
def app_without_database(dbs):
    from web.shop import create_app

    app = create_app(settings_over(db_emarket=f"postgresql+psycopg2://postgres@127.0.0.1:{_closed_port()}/emarket"))
    app.testing = True
    return app


def test_a_database_out_of_reach_is_503_with_retry_after(app_without_database):
    reply = app_without_database.test_client().get("/api/products")
    assert reply.status_code == 503
    assert reply.headers["Retry-After"].isdigit()
    assert reply.get_json()["error"]["code"] == "unavailable"


def test_the_same_request_answers_once_the_database_is_back(client):
    assert client.get("/api/products").status_code == 200
