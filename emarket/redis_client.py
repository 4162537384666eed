"""The one way every process reaches Redis (revoked tokens, login attempts, the saga's figures,
the readiness check): a client per URL and timeout, shared by the process's threads; redis-py
pools the connections and opens new ones after a fork.

Timeouts are short on purpose: Redis holds conveniences, and a slow one must not hold a saga
step, a login or a scrape for long.
"""
from __future__ import annotations

from functools import lru_cache

import redis

from emarket.config import settings


@lru_cache(maxsize=16)
def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def redis_client(timeout: float = 2.0) -> redis.Redis:
    """A client of the configured Redis (``EMARKET_REDIS_URL``), read from the settings at each
    call so a process whose settings change (tests, ``emarket up``) follows them."""
    return _client(settings().redis_url, timeout)
