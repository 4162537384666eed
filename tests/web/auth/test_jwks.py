"""GET /.well-known/jwks.json, and the auth service's answers to a wrong method or path: the
published key verifies the tokens, and a service given only the JWKS URL trusts no other key."""
from __future__ import annotations

import threading

import jwt
import pytest

from tests.support.env import settings_over
from tests.support.tokens import PUBLIC, bearer, claims_of, foreign_key, verifying_client


def test_jwks_publishes_the_key_that_verifies_the_tokens(client, login):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.get_json()["keys"]
    assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256" and key["kid"]
    assert "d" not in key and "p" not in key  # public parts only
    token = login()["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    public = jwt.PyJWK(key).key
    assert jwt.decode(token, public, algorithms=["RS256"], issuer="emarket-auth")["type"] == "access"


@pytest.mark.parametrize("method, path", [
    ("get", "/auth/register"), ("put", "/auth/login"), ("get", "/auth/refresh"),
    ("delete", "/auth/logout"), ("post", "/.well-known/jwks.json"),
])
def test_a_wrong_method_on_a_known_path_is_405(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_an_unknown_path_is_404_in_the_error_shape(client):
    response = client.get("/auth/nothing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_another_service_verifies_with_the_key_from_the_jwks_url(app, login):
    """The auth service served over HTTP; a verifier configured with only its JWKS URL (no key
    file) accepts the auth service's token and refuses a forged one."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        verifier = verifying_client("verifier", settings_over(
            jwks_url=f"http://127.0.0.1:{server.port}/.well-known/jwks.json", jwt_public_key="/nonexistent/public.pem"))
        token = login()["access_token"]
        assert verifier.get("/me", headers=bearer(token)).get_json() == {"id": int(claims_of(token)["sub"])}
        forged = jwt.encode({**claims_of(token), "jti": "z"}, foreign_key(), algorithm="RS256")
        assert verifier.get("/me", headers=bearer(forged)).status_code == 401
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_the_auth_service_starts_with_a_jwks_url_set(auth_env):
    """One environment for every process may set EMARKET_JWKS_URL: the signer, which is that
    URL, reads its own key file instead of fetching from itself (nothing answers yet)."""
    from web.auth import create_app

    assert create_app(settings_over(jwks_url="http://127.0.0.1:9/.well-known/jwks.json")).config["JWT_PUBLIC_KEY"] == PUBLIC.read_text()
