"""Whose address a request really comes from, when the shop's pages call the auth service for
a browser: the shop vouches for the browser's address with an HMAC over it (the services share
``EMARKET_SECRET_KEY``). A plain ``X-Forwarded-For`` would let any client choose the address the
login rate limit counts against; an unsigned or badly signed claim is simply ignored."""
from __future__ import annotations

import hashlib
import hmac

from flask import Request

from emarket.config import settings

HEADER = "X-Emarket-Client-Address"


def _mac(address: str) -> str:
    return hmac.new(settings().secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()


def vouch(address: str) -> str:
    """The header value the shop sends for a browser's address."""
    return f"{address};{_mac(address)}"


def client_address(request: Request) -> str:
    claim = request.headers.get(HEADER, "")
    address, _, mac = claim.rpartition(";")
    if address and len(address) <= 64 and hmac.compare_digest(mac, _mac(address)):
        return address
    return request.remote_addr or ""
