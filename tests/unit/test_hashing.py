"""Passwords and PINs: argon2id with RFC 9106's low-memory profile unless told otherwise; a hash
made with other parameters still verifies, and counts as outdated (upgraded at the next login)."""
from __future__ import annotations

from argon2 import extract_parameters, profiles

from emarket import hashing
from emarket.config import Settings, in_force
from tests.support.env import settings_over


def test_the_default_is_rfc_9106_low_memory_argon2id():
    assert Settings.model_fields["argon2_profile"].default == "RFC_9106_LOW_MEMORY"  # the suite sets CHEAPEST
    with in_force(settings_over(argon2_profile="RFC_9106_LOW_MEMORY")):
        stored = hashing.make("correct horse battery")
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_of_other_parameters_verifies_and_is_outdated():
    with in_force(settings_over(argon2_profile="CHEAPEST")):
        cheap = hashing.make("correct horse battery")
    with in_force(settings_over(argon2_profile="RFC_9106_LOW_MEMORY")):
        assert hashing.matches(cheap, "correct horse battery")
        assert not hashing.matches(cheap, "wrong horse battery")
        assert hashing.outdated(cheap)
        assert not hashing.outdated(hashing.make("correct horse battery"))


def test_garbage_never_matches():
    assert not hashing.matches("not-an-argon2-hash", "anything")
