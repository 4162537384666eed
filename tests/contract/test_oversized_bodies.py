"""A body over 64 KiB gets its 413 reply in the error shape, every time, on a real connection:
the servers read the body before they answer, so the client is never cut off mid-request."""
from __future__ import annotations

import pytest
import requests

from tests.contract.conftest import TIMEOUT

SIZES = {"64 KiB + 1": 64 * 1024 + 1, "1 MiB": 1024 * 1024}
# A client that keeps its connection open, and one that asks to close it after the reply (as
# Python's urllib does): a server that closed with the body unread lost the 413 for the latter.
CONNECTIONS = ("keep-alive", "close")
ROUNDS = 50


def _body(size: int) -> bytes:
    """Valid JSON of exactly ``size`` bytes: what a client with a runaway field would send."""
    head, tail = b'{"name": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def _endpoints(system) -> dict[str, tuple[str, dict]]:
    shopper = system.shopper()
    return {
        "orders": (system.urls["shop"] + "/api/orders", shopper),
        "products": (system.urls["shop"] + "/api/products", system.admin_headers()),
        "top-ups": (system.urls["shop"] + "/api/wallet/topups", shopper),
        "registration": (system.urls["auth"] + "/auth/register", {}),
        "bank holds": (system.urls["bank"] + "/bank/holds", {"X-Api-Key": system.bank_merchant_key}),
    }


@pytest.mark.parametrize("connection", CONNECTIONS)
@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_every_oversized_body_is_answered_413(system, size, connection):
    body = _body(size)
    for name, (url, headers) in _endpoints(system).items():
        for attempt in range(ROUNDS):
            try:
                reply = requests.post(url, data=body, timeout=TIMEOUT,
                                      headers={**headers, "Content-Type": "application/json", "Connection": connection})
            except requests.ConnectionError as error:
                pytest.fail(f"{name}, attempt {attempt + 1}: no reply at all ({error})")
            assert reply.status_code == 413, (name, attempt, reply.text[:200])
            assert reply.json() == {"error": {"code": "payload_too_large", "message": "request body over 64 KiB"}}


def test_a_body_at_the_limit_is_read(system):
    """64 KiB exactly is within the limit: refused for what it says (a 400), not for its size."""
    reply = requests.post(system.urls["auth"] + "/auth/register", data=_body(64 * 1024), timeout=TIMEOUT,
                          headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
