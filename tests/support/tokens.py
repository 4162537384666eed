"""Test tokens: a key pair for the suite and a minting helper with docs/api.md's claims."""
from __future__ import annotations

import fcntl
import functools
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from emarket.keys import generate_keypair

KEY_DIR = Path(os.environ.get("EMARKET_TEST_KEYS", "/tmp/emarket-test-keys"))
PRIVATE, PUBLIC = KEY_DIR / "private.pem", KEY_DIR / "public.pem"
ISSUER = "emarket-auth"


def ensure_test_keys() -> None:
    """Create the suite's key pair once and point the settings at it."""
    # Parallel workers start together: one writes the pair, the others wait and keep it (two
    # writing at once could leave one's private key beside the other's public key).
    KEY_DIR.mkdir(parents=True, exist_ok=True)
    with open(KEY_DIR / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        generate_keypair(PRIVATE, PUBLIC)
    os.environ["EMARKET_JWT_PRIVATE_KEY"] = str(PRIVATE)
    os.environ["EMARKET_JWT_PUBLIC_KEY"] = str(PUBLIC)


def mint(user_id: int, roles=(), *, kind: str = "access", ttl: int = 900, key: str | None = None,
         algorithm: str = "RS256", issuer: str = ISSUER, **extra) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "roles": list(roles), "jti": str(uuid.uuid4()), "type": kind,
              "iat": now, "nbf": now, "exp": now + timedelta(seconds=ttl), "iss": issuer, **extra}
    return jwt.encode(claims, key if key is not None else PRIVATE.read_text(), algorithm=algorithm)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict:
    """A token's claims, verified with the suite's public key."""
    return jwt.decode(token, PUBLIC.read_text(), algorithms=["RS256"], issuer="emarket-auth")


@functools.lru_cache(maxsize=1)
def foreign_key() -> str:
    """A key pair that is not the auth service's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def verifying_client(name: str, settings=None):
    """A test client of another service that only verifies tokens (with the public key or the
    JWKS URL the settings name: ``settings``, else the environment's) and answers ``GET /me``
    with the caller's id."""
    from flask import g, jsonify

    from emarket.config import in_force
    from web.common.app_base import base_app
    from web.common.jwt_setup import auth_required, init_jwt

    with in_force(settings):
        other = base_app(name, title=name, description=name, document_url=f"/{name}/openapi.json",
                         given=settings)
        init_jwt(other, signing=False)

    @other.get("/me")
    @auth_required()
    def me():
        return jsonify({"id": g.caller.id})

    return other.test_client()
