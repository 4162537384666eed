"""The login limit counts per browser address when the shop vouches for it, and cannot be
steered by a client naming an address of its choice."""
from __future__ import annotations

from flask import Flask, request

from web.common.client_address import HEADER, client_address, vouch


def _seen(headers: dict, remote: str = "10.0.0.1") -> str:
    app = Flask(__name__)
    with app.test_request_context("/", headers=headers, environ_base={"REMOTE_ADDR": remote}):
        return client_address(request)


def test_a_vouched_address_is_used():
    assert _seen({HEADER: vouch("203.0.113.7")}) == "203.0.113.7"


def test_unsigned_or_forged_claims_are_ignored():
    assert _seen({}) == "10.0.0.1"
    assert _seen({"X-Forwarded-For": "203.0.113.7"}) == "10.0.0.1"
    assert _seen({HEADER: "203.0.113.7;" + "0" * 64}) == "10.0.0.1"
    assert _seen({HEADER: vouch("203.0.113.7").replace("203.0.113.7", "203.0.113.8", 1)}) == "10.0.0.1"
    assert _seen({HEADER: "garbage"}) == "10.0.0.1"
