"""POST /auth/refresh and POST /auth/logout: rotation, revocation seen by every
service, and a 401 for every token that is not the right, live one."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
import pytest

from emarket import accounts
from tests.support.env import settings_over
from tests.support.tokens import PUBLIC, bearer, claims_of, foreign_key, mint, verifying_client


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict) -> str:
    """An ``alg: none`` token."""
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."


def hs256_with_public_key(claims: dict) -> str:
    """The algorithm-confusion attack: HMAC-signed with the RSA public key as the secret."""
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(PUBLIC.read_bytes(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def tampered(token: str, **changes) -> str:
    """The same signature over claims changed after signing."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def refresh(client, token=None, **kwargs):
    return client.post("/auth/refresh", headers=bearer(token) if token else {}, **kwargs)


def logout(client, token=None, **kwargs):
    return client.post("/auth/logout", headers=bearer(token) if token else {}, **kwargs)


@pytest.fixture
def shop_like_app(app):
    """Another service: verifies with the public key only, revocations read from the same Redis."""
    return verifying_client("another_service")


# --- refresh -----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [None, "{}"])
def test_refresh_rotates_the_pair_within_the_session(client, login, user, body):
    first = login()
    response = refresh(client, first["refresh_token"], data=body, content_type="application/json")
    assert response.status_code == 200
    second = response.get_json()
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in"}
    old, new = claims_of(first["refresh_token"]), claims_of(second["refresh_token"])
    access = claims_of(second["access_token"])
    assert new["sid"] == old["sid"] == access["sid"] and new["jti"] != old["jti"]
    assert access["sub"] == str(user) and access["type"] == "access"
    # Rotation: the new refresh token works, the old one is spent.
    assert refresh(client, second["refresh_token"]).status_code == 200
    assert refresh(client, first["refresh_token"]).status_code == 401


def test_a_rotated_refresh_token_used_again_revokes_its_whole_session(client, login, shop_like_app):
    tokens = login()
    renewed = refresh(client, tokens["refresh_token"]).get_json()
    other_session = login()
    # The old refresh token comes back (a stolen copy): refused, and the session is over for
    # whoever holds its newer tokens too.
    assert refresh(client, tokens["refresh_token"]).status_code == 401
    assert refresh(client, renewed["refresh_token"]).status_code == 401
    assert shop_like_app.get("/me", headers=bearer(renewed["access_token"])).status_code == 401
    # Another session of the same user is untouched.
    assert shop_like_app.get("/me", headers=bearer(other_session["access_token"])).status_code == 200
    assert refresh(client, other_session["refresh_token"]).status_code == 200


def test_refresh_reads_the_roles_again(client, login, uow):
    tokens = login()
    assert claims_of(tokens["access_token"])["roles"] == []
    with uow() as u:
        accounts.create_admin(u, "ann@example.com", "whatever password")
    renewed = refresh(client, tokens["refresh_token"]).get_json()
    assert claims_of(renewed["access_token"])["roles"] == ["admin"]


def test_refresh_for_a_user_that_no_longer_exists_is_401(client, auth_env):
    assert refresh(client, mint(424242, kind="refresh")).status_code == 401


def bad_tokens(user_id: int, good_access: str, good_refresh: str) -> dict[str, str]:
    claims = {"sub": str(user_id), "roles": ["admin"], "jti": "x", "type": "refresh", "iss": "emarket-auth",
              "exp": 4102444800}
    return {
        "expired": mint(user_id, kind="refresh", ttl=-30),
        "tampered": tampered(good_refresh, sub="1", roles=["admin"]),
        "alg_none": unsigned(claims),
        "hs256_with_public_key": hs256_with_public_key(claims),
        "another_key": jwt.encode(claims, foreign_key(), algorithm="RS256"),
        "access_as_refresh": good_access,
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("kind", ["expired", "tampered", "alg_none", "hs256_with_public_key", "another_key",
                                  "access_as_refresh", "garbage"])
def test_refresh_refuses_every_bad_token_with_401(client, login, user, db_state, kind):
    tokens = login()
    before = db_state()
    response = refresh(client, bad_tokens(user, tokens["access_token"], tokens["refresh_token"])[kind])
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert db_state() == before
    # Nothing was spent: the session's real refresh token still works.
    assert refresh(client, tokens["refresh_token"]).status_code == 200


def test_refresh_without_a_token_is_401(client):
    response = refresh(client)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("raw", ['{"x": 1}', "[]", "{", '"text"'])
def test_refresh_with_a_body_is_400_and_spends_nothing(client, login, raw):
    tokens = login()
    response = refresh(client, tokens["refresh_token"], data=raw, content_type="application/json")
    assert response.status_code == 400
    assert refresh(client, tokens["refresh_token"]).status_code == 200


# --- logout ------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [None, "{}"])
def test_logout_revokes_the_access_token_and_the_sessions_refresh_tokens(client, login, shop_like_app, body):
    tokens = login()
    renewed = refresh(client, tokens["refresh_token"]).get_json()  # the session's second pair
    assert shop_like_app.get("/me", headers=bearer(renewed["access_token"])).status_code == 200
    response = logout(client, renewed["access_token"], data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == {"status": "logged_out"}
    # Every service refuses the session's tokens from now on.
    for token in (renewed["access_token"], tokens["access_token"]):
        refused = shop_like_app.get("/me", headers=bearer(token))
        assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
    assert refresh(client, renewed["refresh_token"]).status_code == 401
    assert logout(client, renewed["access_token"]).status_code == 401


def test_logout_leaves_other_sessions_alone(client, login, shop_like_app):
    mine, other = login(), login()
    assert logout(client, mine["access_token"]).status_code == 200
    assert shop_like_app.get("/me", headers=bearer(other["access_token"])).status_code == 200
    assert refresh(client, other["refresh_token"]).status_code == 200


def test_a_minted_access_token_without_a_session_is_revoked_by_its_jti(client, user, shop_like_app):
    token = mint(user)
    assert logout(client, token).status_code == 200
    assert shop_like_app.get("/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("kind", ["expired", "tampered", "alg_none", "hs256_with_public_key", "another_key",
                                  "refresh_as_access", "garbage", "missing"])
def test_logout_refuses_every_bad_token_with_401(client, login, user, shop_like_app, db_state, kind):
    tokens = login()
    before = db_state()
    claims = {"sub": str(user), "roles": [], "jti": "y", "type": "access", "iss": "emarket-auth", "exp": 4102444800}
    token = {
        "expired": mint(user, ttl=-30),
        "tampered": tampered(tokens["access_token"], roles=["admin"]),
        "alg_none": unsigned(claims),
        "hs256_with_public_key": hs256_with_public_key(claims),
        "another_key": jwt.encode(claims, foreign_key(), algorithm="RS256"),
        "refresh_as_access": tokens["refresh_token"],
        "garbage": "garbage",
        "missing": None,
    }[kind]
    response = logout(client, token)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert db_state() == before
    # Nothing was revoked.
    assert shop_like_app.get("/me", headers=bearer(tokens["access_token"])).status_code == 200


def test_the_other_services_refuse_a_refresh_token_as_an_access_token(login, shop_like_app):
    assert shop_like_app.get("/me", headers=bearer(login()["refresh_token"])).status_code == 401


def test_logout_with_a_body_is_400_and_revokes_nothing(client, login, shop_like_app):
    tokens = login()
    response = logout(client, tokens["access_token"], data='{"everywhere": true}', content_type="application/json")
    assert response.status_code == 400
    assert shop_like_app.get("/me", headers=bearer(tokens["access_token"])).status_code == 200


def test_without_the_token_store_refresh_and_logout_are_503_not_500(login):
    from web.auth import create_app

    tokens = login()
    client = create_app(settings_over(redis_url="redis://127.0.0.1:1/7")).test_client()  # nothing listens there
    for response in (refresh(client, tokens["refresh_token"]), logout(client, tokens["access_token"])):
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "unavailable" and response.headers["Retry-After"]
