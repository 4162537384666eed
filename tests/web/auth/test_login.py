"""POST /auth/login: tokens for the right password, one 401 for every wrong login, 400 for a
malformed body, 429 once the per-email or per-address limit is reached."""
from __future__ import annotations

import time

import jwt
import pytest

from tests.support.env import settings_over
from tests.support.tokens import PUBLIC
from tests.web.auth.conftest import PASSWORD
from web.auth import ratelimit


def post(client, body=None, address="10.0.0.1", **kwargs):
    return client.post("/auth/login", json=body, environ_base={"REMOTE_ADDR": address}, **kwargs)


def test_login_replies_with_a_token_pair_carrying_the_contract_claims(client, make_user):
    user_id = make_user(email="ann@example.com", roles=["admin"])
    response = post(client, {"email": "ANN@Example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    key = PUBLIC.read_text()
    access = jwt.decode(body["access_token"], key, algorithms=["RS256"], issuer="emarket-auth")
    refresh = jwt.decode(body["refresh_token"], key, algorithms=["RS256"], issuer="emarket-auth")
    assert access["sub"] == str(user_id) and access["roles"] == ["admin"] and access["type"] == "access"
    assert access["exp"] - time.time() == pytest.approx(900, abs=5)
    assert refresh["type"] == "refresh" and refresh["sub"] == str(user_id)
    assert access["sid"] == refresh["sid"] and access["jti"] != refresh["jti"]
    assert jwt.get_unverified_header(body["access_token"])["kid"]


WRONG_LOGINS = [
    {"email": "ann@example.com", "password": "wrong password"},
    {"email": "nobody@example.com", "password": PASSWORD},
    {"email": "not an email", "password": PASSWORD},
    {"email": "x" * 5000 + "@example.com", "password": PASSWORD},
    {"email": "", "password": ""},
    {"email": "ann@example.com", "password": "p" * 10_000},
    {"email": "ann\u0000@example.com", "password": PASSWORD},
    {"email": "ann@example.com", "password": PASSWORD + "\u0000"},
]


@pytest.mark.parametrize("body", WRONG_LOGINS)
def test_every_wrong_login_is_the_same_401_and_changes_nothing(client, user, db_state, body):
    before = db_state()
    response = post(client, body)
    assert response.status_code == 401
    assert response.get_json() == {"error": {"code": "invalid_credentials", "message": "wrong email or password"}}
    assert db_state() == before


@pytest.mark.parametrize("raw, content_type", [
    ('{"email": "ann@example.com", "password": ', "application/json"),
    ('["ann@example.com", "x"]', "application/json"),
    ('{"email": 5, "password": "correct horse battery"}', "application/json"),
    ('{"email": "ann@example.com", "password": null}', "application/json"),
    ('{"email": "ann@example.com", "password": "correct horse battery", "admin": true}', "application/json"),
    ('{"email": "ann@example.com"}', "application/json"),
    ("", "application/json"),
    ("{}", "application/json"),
])
def test_malformed_login_bodies_are_400_and_change_nothing(client, user, db_state, raw, content_type):
    before = db_state()
    response = client.post("/auth/login", data=raw, content_type=content_type)
    assert response.status_code == 400
    assert set(response.get_json()["error"]) == {"code", "message"}
    assert db_state() == before


def test_a_body_over_64_kib_is_413(client, user, db_state):
    before = db_state()
    response = post(client, {"email": "ann@example.com", "password": "x" * (65 * 1024)})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert db_state() == before


def test_a_wrong_method_is_405(client):
    response = client.get("/auth/login")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_ten_failures_for_one_email_block_it_with_retry_after(client, user):
    for attempt in range(10):
        # From different addresses: the per-email limit holds wherever the guesses come from.
        assert post(client, {"email": "ann@example.com", "password": "guess"}, address=f"10.0.1.{attempt}").status_code == 401
    blocked = post(client, {"email": "ANN@example.com", "password": PASSWORD}, address="10.0.2.1")
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    # Another email from the same addresses is not affected.
    assert post(client, {"email": "bob@example.com", "password": "guess"}, address="10.0.1.0").status_code == 401


def test_an_unknown_email_is_limited_like_a_known_one(client, user):
    for _ in range(10):
        assert post(client, {"email": "nobody@example.com", "password": "guess"}).status_code == 401
    assert post(client, {"email": "nobody@example.com", "password": "guess"}).status_code == 429


def test_a_success_clears_the_emails_failures(client, user):
    for _ in range(9):
        assert post(client, {"email": "ann@example.com", "password": "guess"}).status_code == 401
    assert post(client, {"email": "ann@example.com", "password": PASSWORD}).status_code == 200
    for _ in range(10):
        assert post(client, {"email": "ann@example.com", "password": "guess"}).status_code == 401
    assert post(client, {"email": "ann@example.com", "password": PASSWORD}).status_code == 429


def test_the_block_lifts_when_the_failures_leave_the_window(client, user):
    # Ten failures recorded sixteen minutes ago are outside the 15-minute window.
    long_ago = time.time() - 16 * 60
    redis = ratelimit.redis_client()
    redis.zadd(ratelimit.email_key("ann@example.com"), {f"old-{i}": long_ago for i in range(10)})
    assert post(client, {"email": "ann@example.com", "password": PASSWORD}).status_code == 200


def test_a_hundred_failures_from_one_address_block_it(client, user):
    # The first 99 failures (different emails) are seeded in the limiter's own sorted set, which
    # saves 99 argon2 verifications; the 100th goes through the endpoint.
    now = time.time()
    redis = ratelimit.redis_client()
    redis.zadd(ratelimit.address_key("10.9.9.9"), {f"seeded-{i}": now - 60 for i in range(99)})
    assert post(client, {"email": "guess@example.com", "password": "guess"}, address="10.9.9.9").status_code == 401
    blocked = post(client, {"email": "ann@example.com", "password": PASSWORD}, address="10.9.9.9")
    assert blocked.status_code == 429
    assert 14 * 60 - 60 <= int(blocked.headers["Retry-After"]) <= 14 * 60 + 1
    # The same user from another address still logs in.
    assert post(client, {"email": "ann@example.com", "password": PASSWORD}, address="10.9.9.8").status_code == 200


def test_without_the_rate_limit_store_login_is_503_and_changes_nothing(user, db_state):
    from web.auth import create_app

    before = db_state()
    client = create_app(settings_over(redis_url="redis://127.0.0.1:1/7")).test_client()  # nothing listens there
    response = post(client, {"email": "ann@example.com", "password": PASSWORD})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable" and response.headers["Retry-After"]
    assert db_state() == before


def test_without_the_database_login_is_503_and_no_failure_is_counted(client, user):
    from web.auth import create_app

    cut_off = create_app(settings_over(db_account="postgresql+psycopg2://postgres@127.0.0.1:1/gone")).test_client()
    for _ in range(11):
        response = post(cut_off, {"email": "ann@example.com", "password": PASSWORD})
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "unavailable" and response.headers["Retry-After"]
    assert post(client, {"email": "ann@example.com", "password": PASSWORD}).status_code == 200
