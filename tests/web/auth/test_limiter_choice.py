"""Why the login limiter is ours (web/auth/ratelimit.py) and not the ``limits`` package that
Flask-Limiter is built on: the contract counts *failed* attempts (10 per email in a sliding 15
minutes, 100 per address) and a parallel burst must not slip past. ``limits`` offers an atomic
``hit`` and a separate ``test``, and no way to take one hit back, so either
- it tests first and hits after a failure: a burst of parallel guesses all pass the test before
  any of them is counted, or
- it hits first: then every success and every attempt the database could not answer count as
  failures, and an office behind one address is locked out by its own good logins.
Each case is shown on the real Redis against ``limits``' moving window, next to ours.
"""
from __future__ import annotations

import uuid

import pytest
from limits import RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from emarket.config import in_force
from tests.settings import REDIS_SERVER
from tests.support.env import settings_over
from web.auth import ratelimit

REDIS_URL = f"{REDIS_SERVER}/7"
EMAIL_RULE = RateLimitItemPerMinute(ratelimit.EMAIL_LIMIT, 15)
ADDRESS_RULE = RateLimitItemPerMinute(ratelimit.ADDRESS_LIMIT, 15)


@pytest.fixture
def ours():
    with in_force(settings_over(redis_url=REDIS_URL)):
        yield


@pytest.fixture
def theirs():
    return MovingWindowRateLimiter(RedisStorage(REDIS_URL))


def test_test_then_hit_lets_a_parallel_burst_slip_past(theirs, ours):
    email = f"burst-{uuid.uuid4().hex}@example.com"
    # Twenty guesses arrive together: each is tested before any has failed and been counted.
    admitted_by_limits = sum(theirs.test(EMAIL_RULE, email) for _ in range(20))
    for _ in range(admitted_by_limits):
        theirs.hit(EMAIL_RULE, email)  # each guess failed
    assert admitted_by_limits == 20  # twenty passwords checked, where the contract allows ten

    # Ours records each attempt before its password is checked: the eleventh is refused.
    admitted_by_ours = 0
    for _ in range(20):
        try:
            ratelimit.begin(f"ours-{email}", "198.51.100.7")
            admitted_by_ours += 1
        except ratelimit.Blocked:
            pass
    assert admitted_by_ours == ratelimit.EMAIL_LIMIT


def test_hit_first_counts_good_logins_as_failures_and_locks_out_an_office(theirs, ours):
    address = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
    # A hundred colleagues behind one address log in successfully; limits cannot take a hit back.
    for _ in range(ratelimit.ADDRESS_LIMIT):
        assert theirs.hit(ADDRESS_RULE, address)
    assert not theirs.hit(ADDRESS_RULE, address)  # the 101st good login would be refused

    # Ours takes a successful attempt back: good logins never count.
    for n in range(ratelimit.ADDRESS_LIMIT + 20):
        ratelimit.succeeded(ratelimit.begin(f"colleague-{n}-{uuid.uuid4().hex}@example.com", f"ours-{address}"))
