"""GET /health/live, /health/ready and /info on shop, auth and bank (docs/api.md "Health and metrics")."""
from __future__ import annotations

import threading
import time

import pytest

import emarket
from tests.support.env import overridden_env
from tests.web.ops.conftest import CLOSED_PORT_BROKER, CLOSED_PORT_DB, CLOSED_PORT_REDIS
from web.common import health

SERVICES = ("shop", "auth", "bank")
# The checks each service has: the bank needs neither the broker nor Redis.
CHECKS = {"shop": {"database", "broker", "cache"}, "auth": {"database", "broker", "cache"}, "bank": {"database"}}


@pytest.mark.parametrize("service", SERVICES)
def test_live_is_up(client_of, service):
    response = client_of(service).get("/health/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "up"}


@pytest.mark.parametrize("service", SERVICES)
def test_ready_checks_each_dependency_of_the_service(client_of, service):
    response = client_of(service).get("/health/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "up", "checks": dict.fromkeys(CHECKS[service], "up")}


@pytest.mark.parametrize("service", SERVICES)
def test_info_names_the_service_and_version(client_of, service):
    response = client_of(service).get("/info")
    assert response.status_code == 200
    assert response.get_json() == {"name": f"emarket-{service}", "version": emarket.__version__}


@pytest.mark.parametrize("service", ("shop", "auth"))
def test_ready_is_503_naming_the_cache_when_redis_is_unreachable(client_of, service):
    response = client_of(service, EMARKET_REDIS_URL=CLOSED_PORT_REDIS).get("/health/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["checks"]["cache"].startswith("down: ")
    assert body["checks"]["database"] == body["checks"]["broker"] == "up"
    assert "redis://" not in body["checks"]["cache"]  # a short reason, never a URL


@pytest.mark.parametrize("service", ("shop", "auth"))
def test_ready_is_503_naming_the_broker_when_it_is_unreachable(client_of, service):
    response = client_of(service, EMARKET_BROKER_URL=CLOSED_PORT_BROKER).get("/health/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["checks"]["broker"].startswith("down: ")
    assert body["checks"]["database"] == body["checks"]["cache"] == "up"
    assert "guest" not in body["checks"]["broker"]


def test_ready_is_503_naming_the_database_when_it_is_unreachable(client_of):
    client = client_of("bank")  # created (merchant account ensured) on the real database
    with overridden_env({"EMARKET_DB_BANK": CLOSED_PORT_DB}):  # the app reads the settings in force
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("down: ")
    assert "postgres@" not in response.get_json()["checks"]["database"]


def test_a_slow_check_is_cut_at_its_timeout():
    release = threading.Event()
    started = time.monotonic()
    results = health.run_checks({"cache": lambda: release.wait(10), "database": lambda: None})
    release.set()
    assert results == {"cache": "down: timed out", "database": "up"}
    assert time.monotonic() - started < health.CHECK_TIMEOUT + 1.5
