"""Issuing the auth service's tokens and publishing the key that verifies them.

One login opens a session: its access and refresh tokens share a ``sid`` claim, so logout can
revoke the whole session (every refresh token rotated from it included) on every service.
The JWT header names the key (``kid``, the RFC 7638 thumbprint) so verifiers can pick it from
the JWKS when keys are rotated.
"""
from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any, TypedDict, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from jwt.algorithms import RSAAlgorithm

from emarket.accounts import Identity
from emarket.config import settings


class IssuedTokens(TypedDict):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


def public_jwk(public_pem: str) -> dict[str, Any]:
    """The public key as a JWK with ``kid``, ``use: sig`` and ``alg: RS256``."""
    # RS256 only: the auth service's key is RSA (a PEM of another kind fails in to_jwk as before).
    key = cast(RSAPublicKey, serialization.load_pem_public_key(public_pem.encode()))
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return {"kty": jwk["kty"], "kid": kid, "use": "sig", "alg": "RS256", "n": jwk["n"], "e": jwk["e"]}


def issue(identity: Identity, sid: str | None = None, fresh: bool = False) -> IssuedTokens:
    """A new access + refresh pair for ``identity`` in session ``sid`` (a new session if None)."""
    sid = sid or uuid.uuid4().hex
    claims = {"roles": list(identity.roles), "sid": sid}
    headers = {"kid": current_app.config["EMARKET_JWK"]["kid"]}
    subject = str(identity.id)
    return {
        "access_token": create_access_token(subject, fresh=fresh, additional_claims=claims, additional_headers=headers),
        "refresh_token": create_refresh_token(subject, additional_claims=claims, additional_headers=headers),
        "token_type": "Bearer",
        "expires_in": settings().access_token_ttl,
    }
