"""The shop pages' calls to the auth service's JSON API (docs/api.md "Auth service"), server-side.

The pages never see passwords stored or tokens minted: they pass the form on and keep the
tokens they get back in HttpOnly cookies. Any failure to reach the service is AuthUnavailable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from emarket.config import settings
from web.common import client_address

TIMEOUT = 5.0


class AuthUnavailable(Exception):
    """The auth service could not be reached or answered nonsense."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    retry_after: str | None = None

    @property
    def message(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return (error or {}).get("message", "") if isinstance(error, dict) else ""


def _post(path: str, *, json: dict[str, Any] | None = None, token: str | None = None, client_ip: str | None = None) -> Reply:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if client_ip:
        # The auth service limits log-ins per address: vouch for whose address this really is.
        headers[client_address.HEADER] = client_address.vouch(client_ip)
    try:
        response = requests.post(settings().auth_url.rstrip("/") + path, json=json if json is not None else {},
                                 headers=headers, timeout=TIMEOUT)
        body = response.json() if response.content else {}
    except (requests.RequestException, ValueError) as error:
        raise AuthUnavailable(str(error)) from None
    return Reply(response.status_code, body if isinstance(body, dict) else {}, response.headers.get("Retry-After"))


def register(email: str, password: str, name: str | None, client_ip: str | None = None) -> Reply:
    payload = {"email": email, "password": password}
    if name:
        payload["name"] = name
    return _post("/auth/register", json=payload, client_ip=client_ip)


def login(email: str, password: str, client_ip: str | None = None) -> Reply:
    return _post("/auth/login", json={"email": email, "password": password}, client_ip=client_ip)


def refresh(refresh_token: str) -> dict[str, Any] | None:
    """New tokens for a refresh token, or None if it is refused or the service is away."""
    try:
        reply = _post("/auth/refresh", token=refresh_token)
    except AuthUnavailable:
        return None
    if reply.status != 200 or not {"access_token", "refresh_token"} <= set(reply.body):
        return None
    return reply.body


def logout(access_token: str) -> None:
    """Best effort: the cookies are dropped whatever the auth service says."""
    try:
        _post("/auth/logout", token=access_token)
    except AuthUnavailable:
        pass
