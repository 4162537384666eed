"""Revoked tokens, kept in Redis so every service sees a logout at once.

A token is revoked when its own ``jti`` is, or its session (``sid``, shared by an access token
and the refresh token it came with) is. Entries expire with the longest token they can cover.
"""
from __future__ import annotations

from functools import lru_cache

import redis

from emarket.config import settings

_PREFIX = "emarket:revoked:"


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def client() -> redis.Redis:
    return _client(settings().redis_url)


def revoke(identifier: str, ttl_seconds: int) -> None:
    client().set(_PREFIX + identifier, "1", ex=max(1, int(ttl_seconds)))


def is_revoked(payload: dict) -> bool:
    keys = [_PREFIX + payload.get("jti", "")]
    if payload.get("sid"):
        keys.append(_PREFIX + "sid:" + payload["sid"])
    return any(client().mget(keys))


def revoke_session(sid: str, ttl_seconds: int) -> None:
    revoke("sid:" + sid, ttl_seconds)
