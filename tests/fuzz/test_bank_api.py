"""Fuzzing the bank's API (its /bank/openapi.json): the merchant's key on the merchant's
endpoints and the holder's confirmation, the operator's (admin) key on the admin endpoints.
(A key on the other role's endpoints is the security suite's 403.)"""
from __future__ import annotations

import schemathesis

from tests.fuzz.conftest import CHECKS, FUZZ_SETTINGS
from tests.security.stack import BANK_ADMIN, BANK_MERCHANT

schema = schemathesis.pytest.from_fixture("bank_schema")
ADMIN_ONLY = ["POST /bank/accounts", "GET /bank/accounts/{number}"]


@schema.exclude(name=ADMIN_ONLY).parametrize()
@FUZZ_SETTINGS
def test_bank_api_with_the_merchant_key(case):
    case.call_and_validate(headers=BANK_MERCHANT, checks=CHECKS)


@schema.include(name=ADMIN_ONLY).parametrize()
@FUZZ_SETTINGS
def test_bank_api_with_the_admin_key(case):
    case.call_and_validate(headers=BANK_ADMIN, checks=CHECKS)
