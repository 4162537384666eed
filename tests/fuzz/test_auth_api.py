"""Fuzzing the auth service's API (its /auth/openapi.json): a user on every endpoint, an admin
on the token endpoints. Each request carries a fresh token of the kind its endpoint takes
(refresh tokens for /auth/refresh, access tokens elsewhere), so a logout or a rotation in one
case does not spoil the next."""
from __future__ import annotations

import uuid

import schemathesis

from tests.fuzz.conftest import CHECKS, FUZZ_SETTINGS
from tests.support.tokens import bearer, mint

schema = schemathesis.pytest.from_fixture("auth_schema")


def _headers(case, user_id: int, roles=()) -> dict:
    kind = "refresh" if case.path == "/auth/refresh" else "access"
    return bearer(mint(user_id, roles, kind=kind, sid=uuid.uuid4().hex))


@schema.parametrize()
@FUZZ_SETTINGS
def test_auth_api_as_a_user(case, people):
    case.call_and_validate(headers=_headers(case, people["user"]), checks=CHECKS)


@schema.include(path=["/auth/refresh", "/auth/logout"]).parametrize()
@FUZZ_SETTINGS
def test_auth_api_as_an_admin(case, people):
    case.call_and_validate(headers=_headers(case, people["admin"], ["admin"]), checks=CHECKS)
