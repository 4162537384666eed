"""Fuzzing the shop's JSON API (its /api/openapi.json): a user on every endpoint a user may
use, an admin on the product endpoints (where admins see and do more). Orders go to the real
saga worker, so pay and cancel get the order service's real answers. (A user on the admin
endpoints is the security suite's 403.)"""
from __future__ import annotations

import schemathesis

from tests.fuzz.conftest import CHECKS, FUZZ_SETTINGS
from tests.support.tokens import bearer, mint

schema = schemathesis.pytest.from_fixture("shop_schema")
ADMIN_ONLY = ["POST /api/products", "PATCH /api/products/{product_id}"]


@schema.exclude(name=ADMIN_ONLY).parametrize()
@FUZZ_SETTINGS
def test_shop_api_as_a_user(case, people):
    case.call_and_validate(headers=bearer(mint(people["user"])), checks=CHECKS)


@schema.include(path_regex="^/api/products").parametrize()
@FUZZ_SETTINGS
def test_shop_api_as_an_admin(case, people):
    case.call_and_validate(headers=bearer(mint(people["admin"], ["admin"])), checks=CHECKS)
