"""The bank's pure rules, without a database: PIN hashing, request fingerprints, URLs."""
from __future__ import annotations

import pytest

from emarket import idempotency
from emarket.bank import accounts, holds


def test_pin_is_hashed_with_argon2_and_verified():
    stored = accounts.hash_pin("1234")
    assert stored.startswith("$argon2id$") and "1234" not in stored
    assert accounts.hash_pin("1234") != stored  # salted
    assert accounts.pin_matches(stored, "1234")


@pytest.mark.parametrize("attempt", ["4321", "", "12345", "1234 ", "x" * 1000])
def test_any_other_pin_does_not_match(attempt):
    assert not accounts.pin_matches(accounts.hash_pin("1234"), attempt)


def test_a_corrupt_stored_hash_matches_nothing():
    assert not accounts.pin_matches("not-a-hash", "1234")


def test_a_fingerprint_tells_requests_apart_and_ignores_nothing():
    def fp(*parts, secret="s"):
        return idempotency.fingerprint(secret, *parts)

    base = fp("POST", "/bank/holds", {"account": "4001", "amount": 500, "reference": "r"})
    assert base == fp("POST", "/bank/holds", {"reference": "r", "amount": 500, "account": "4001"})
    others = {fp("POST", "/bank/holds", {"account": "4002", "amount": 500, "reference": "r"}),
              fp("POST", "/bank/holds", {"account": "4001", "amount": 501, "reference": "r"}),
              fp("POST", "/bank/holds", {"account": "4001", "amount": 500, "reference": "s"}),
              fp("POST", "/bank/accounts", {"account": "4001", "amount": 500, "reference": "r"}),
              fp("POST", "/bank/holds", {"account": "4001", "amount": 500, "reference": "r"}, secret="t")}
    assert len(others | {base}) == 6


def test_confirm_url_is_absolute_from_the_public_url():
    from emarket.config import Settings, in_force

    with in_force(Settings(bank_public_url="https://bank.example/")):
        assert holds.confirm_url("abc") == "https://bank.example/bank/confirm/abc"


def test_poll_delay_grows_is_capped_and_jittered():
    from emarket.config import Settings, in_force
    from tasks.topup import poll_delay

    with in_force(Settings(topup_poll_interval=1, topup_poll_max=8)):
        for polls, ceiling in ((0, 1), (1, 2), (2, 4), (3, 8), (10, 8), (500, 8)):
            delays = [poll_delay(polls) for _ in range(50)]
            # Whole seconds, at least one (tasks.countdown): the jitter shows from 4 s on.
            assert all(isinstance(d, int) and max(1, ceiling / 2) <= d <= ceiling for d in delays)
            assert len(set(delays)) > 1 or ceiling < 4
