"""Revoked tokens, kept in Redis so every service sees a logout at once.

A token is revoked when its own ``jti`` is, or its session (``sid``, shared by an access token
and the refresh token it came with) is. Entries expire with the longest token they can cover.
"""
from __future__ import annotations

from typing import Any

import redis

from emarket.redis_client import redis_client

_PREFIX = "emarket:revoked:"


def client() -> redis.Redis:
    return redis_client()


def revoke(identifier: str, ttl_seconds: int) -> None:
    client().set(_PREFIX + identifier, "1", ex=max(1, int(ttl_seconds)))


def is_revoked(payload: dict[str, Any]) -> bool:
    keys = [_PREFIX + payload.get("jti", "")]
    if payload.get("sid"):
        keys.append(_PREFIX + "sid:" + payload["sid"])
    return any(client().mget(keys))


def revoke_session(sid: str, ttl_seconds: int) -> None:
    revoke("sid:" + sid, ttl_seconds)
