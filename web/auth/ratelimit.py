"""Login attempts limited in Redis, per email and per client address (docs/api.md: 429 after 10
failed attempts for one email within 15 minutes, or 100 from one address).

Each key is a sorted set of attempt times: a sliding window, not a fixed one, so ten failures
spread over two windows' edges still count together. An attempt is recorded *before* the
password is checked and taken back if it succeeds; a burst of parallel guesses therefore
cannot slip past the limit between a check and its increment. A refused attempt records
nothing, so hammering a blocked account does not extend its block.

Not the ``limits`` package (Flask-Limiter's core): it cannot take an attempt back, so it either
lets a parallel burst past or counts good logins as failures; tests/web/auth/test_limiter_choice.py
shows both cases against it.
"""
from __future__ import annotations

import hashlib
import math
import time
import uuid
from dataclasses import dataclass

import redis

from emarket.redis_client import redis_client

WINDOW = 15 * 60
EMAIL_LIMIT = 10
ADDRESS_LIMIT = 100
_PREFIX = "emarket:login:"


class Blocked(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def email_key(email: str) -> str:
    # Hashed: any string may arrive as an "email", of any length, and Redis keeps no addresses.
    return _PREFIX + "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def address_key(address: str) -> str:
    return _PREFIX + "addr:" + address


@dataclass
class Attempt:
    keys: list[str]
    member: str


def begin(email: str, address: str) -> Attempt:
    """Record an attempt; ``Blocked`` (with the seconds to wait) if a limit is already reached."""
    client, now = redis_client(), time.time()
    member = f"{now:.6f}:{uuid.uuid4().hex}"
    recorded: list[str] = []
    for key, limit in ((email_key(email), EMAIL_LIMIT), (address_key(address or "unknown"), ADDRESS_LIMIT)):
        pipe = client.pipeline(transaction=True)
        pipe.zremrangebyscore(key, 0, now - WINDOW)
        pipe.zadd(key, {member: now})
        pipe.zcard(key)
        pipe.expire(key, WINDOW)
        attempts = pipe.execute()[2]
        recorded.append(key)
        if attempts > limit:
            _take_back(client, recorded, member)
            raise Blocked(_retry_after(client, key, attempts - 1, limit, now))
    return Attempt(recorded, member)


def _take_back(client: redis.Redis, keys: list[str], member: str) -> None:
    pipe = client.pipeline(transaction=True)
    for key in keys:
        pipe.zrem(key, member)
    pipe.execute()


def _retry_after(client: redis.Redis, key: str, failures: int, limit: int, now: float) -> int:
    """Seconds until enough failures leave the window for one more attempt to be allowed."""
    oldest_that_must_go = client.zrange(key, failures - limit, failures - limit, withscores=True)
    if not oldest_that_must_go:
        return WINDOW
    return max(1, math.ceil(float(oldest_that_must_go[0][1]) + WINDOW - now))


def succeeded(attempt: Attempt) -> None:
    """The password was right: the attempt is not a failure, and the email's count starts over."""
    client = redis_client()
    _take_back(client, attempt.keys, attempt.member)
    client.delete(attempt.keys[0])


def abandon(attempt: Attempt) -> None:
    """The check could not be made (the database did not answer): the attempt does not count."""
    _take_back(redis_client(), attempt.keys, attempt.member)
