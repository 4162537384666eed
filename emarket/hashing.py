"""argon2id for what users type that we must never store: passwords (emarket.accounts) and bank
PINs (emarket.bank.accounts). The parameters are one of argon2-cffi's profiles, chosen by the
``argon2_profile`` setting: RFC 9106's low-memory profile (argon2-cffi's default) unless told
otherwise. The test suite chooses ``CHEAPEST`` (argon2-cffi: "only for testing"): the default
costs ~0.25 s of CPU a hash here, the suite hashes and verifies hundreds of times, and every
path (argon2id, a salt, verify, upgrade of an outdated hash at login) is the same."""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from emarket.config import settings


@cache
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def hasher() -> PasswordHasher:
    """The hasher of the settings in force."""
    return _hasher(settings().argon2_profile)


def make(secret: str) -> str:
    """The encoded hash (parameters and salt included) to store."""
    return hasher().hash(secret)


def dummy() -> str:
    """A hash of nobody's secret with the parameters in force: what a login for an unknown email
    verifies against, so that it costs what a known one does."""
    return _dummy(settings().argon2_profile)


@cache
def _dummy(profile: str) -> str:
    return _hasher(profile).hash("not-a-password-of-anyone")


def matches(stored: str, secret: str) -> bool:
    """Whether ``secret`` is what ``stored`` was made from, whatever profile made it."""
    try:
        return hasher().verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


def outdated(stored: str) -> bool:
    """Made with other parameters than those in force: hash it again at the next success."""
    return hasher().check_needs_rehash(stored)
