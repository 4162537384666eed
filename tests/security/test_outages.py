"""When the token store (Redis) is away no token can be checked: the shop answers 503 with
Retry-After (found by the fuzzer as a 500), never lets the token through, and changes nothing."""
from __future__ import annotations

import pytest

from tests.security import stack
from tests.security.conftest import as_user
from tests.support import seed
from tests.support.env import settings_with


@pytest.fixture
def shop(sec_env):
    """The shop given a Redis where nothing listens (only this app sees it)."""
    from web.shop import create_app

    app = create_app(settings_with({"EMARKET_REDIS_URL": "redis://127.0.0.1:1/0"}, base=sec_env["settings"]))
    app.testing = True
    app.test_client_class = stack.RecordingClient
    return app.test_client()


def test_no_token_store_is_503_with_retry_after(shop, unchanged):
    user, tea = seed.user(balance=1_000), seed.product(count=3)
    with unchanged():
        for method, path, body in (("get", "/api/wallet", None), ("get", "/api/products", None),
                                   ("post", "/api/orders", {"items": [{"product_id": tea, "quantity": 1}]})):
            response = getattr(shop, method)(path, json=body, headers=as_user(user))
            assert response.status_code == 503, (path, response.status_code, response.get_json())
            assert response.get_json()["error"]["code"] == "unavailable" and response.headers["Retry-After"]
    # Without a token there is nothing to check: the catalogue still answers.
    assert shop.get("/api/products").status_code == 200
