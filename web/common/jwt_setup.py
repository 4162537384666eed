"""JWT verification shared by every service (flask-jwt-extended, RS256 only).

Only the auth service holds the private key (``signing=True``); the others verify with the
public key, from a PEM file or the auth service's JWKS URL. Tokens may come in the
``Authorization`` header (API clients) or in HttpOnly cookies (the pages), the latter with
double-submit CSRF protection. Every failure is a 401 in the docs/api.md error shape.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import jwt as pyjwt
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from flask import Flask, Response, g
from flask_jwt_extended import JWTManager, get_jwt, verify_jwt_in_request

from emarket.config import settings
from web.common import revocation
from web.common.errors import ApiError, error_response

log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def load_public_key(from_file: bool = False) -> str:
    s = settings()
    if s.jwks_url and not from_file:
        key: RSAPublicKey = pyjwt.PyJWKClient(s.jwks_url, timeout=5).get_jwk_set().keys[0].key
        return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return Path(s.jwt_public_key).read_text()


def load_private_key() -> str:
    return Path(settings().jwt_private_key).read_text()


def _unauthorized(message: str) -> Response:
    return error_response(401, "unauthorized", message)


def init_jwt(app: Flask, signing: bool = False) -> JWTManager:
    s = settings()
    app.config.update(
        JWT_ALGORITHM="RS256",
        JWT_DECODE_ALGORITHMS=["RS256"],
        # The signer is where the JWKS comes from: it reads its own file, never fetches itself
        # (it is not serving yet while it starts).
        JWT_PUBLIC_KEY=load_public_key(from_file=signing),
        JWT_PRIVATE_KEY=load_private_key() if signing else None,
        JWT_TOKEN_LOCATION=["headers", "cookies"],
        JWT_COOKIE_CSRF_PROTECT=True,
        JWT_CSRF_CHECK_FORM=True,
        JWT_COOKIE_SECURE=s.secure_cookies,
        JWT_COOKIE_SAMESITE="Lax",
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=s.access_token_ttl),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(seconds=s.refresh_token_ttl),
        JWT_ENCODE_ISSUER=s.jwt_issuer,
        JWT_DECODE_ISSUER=s.jwt_issuer,
        JWT_IDENTITY_CLAIM="sub",
        JWT_ERROR_MESSAGE_KEY="message",
    )
    manager = JWTManager(app)
    manager.token_in_blocklist_loader(lambda _header, payload: revocation.is_revoked(payload))
    manager.expired_token_loader(lambda _h, _p: _unauthorized("the token has expired"))
    manager.invalid_token_loader(lambda reason: _unauthorized("the token is invalid"))
    manager.unauthorized_loader(lambda reason: _unauthorized("a bearer token is required"))
    manager.revoked_token_loader(lambda _h, _p: _unauthorized("the token has been revoked"))
    manager.needs_fresh_token_loader(lambda _h, _p: _unauthorized("a fresh token is required"))
    manager.token_verification_failed_loader(lambda _h, _p: _unauthorized("the token is invalid"))
    manager.user_lookup_error_loader(lambda _h, _p: _unauthorized("unknown user"))
    app.register_error_handler(redis.RedisError, _token_store_down)
    return manager


def _token_store_down(error: redis.RedisError) -> Response:
    # Revocations live in Redis: while it is away no token can be checked. That is the service
    # being unavailable for a moment (503, retry), neither our bug (500) nor the caller's (401).
    log.warning("token store unavailable: %s", error)
    return error_response(503, "unavailable", "the token store is unavailable; retry shortly", {"Retry-After": "5"})


class Caller:
    """Who is calling, from a verified access token."""

    def __init__(self, claims: dict[str, Any]) -> None:
        self.id = int(claims["sub"])
        self.roles = list(claims.get("roles") or [])
        self.claims = claims

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def _verify(optional: bool) -> Caller | None:
    verify_jwt_in_request(optional=optional)
    claims = get_jwt()
    if not claims:
        return None
    if claims.get("type") != "access":
        raise ApiError(401, "unauthorized", "an access token is required")
    try:
        return Caller(claims)
    except (KeyError, ValueError, TypeError):
        raise ApiError(401, "unauthorized", "the token is invalid") from None


def auth_required(admin: bool = False) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """A verified access token is required (and the admin role, if asked); sets ``g.caller``."""

    def decorator(view: Callable[_P, _R]) -> Callable[_P, _R]:
        @wraps(view)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            g.caller = _verify(optional=False)
            if admin and not g.caller.is_admin:
                raise ApiError(403, "forbidden", "administrators only")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def auth_optional(view: Callable[_P, _R]) -> Callable[_P, _R]:
    """No token is fine (``g.caller`` is None); a bad token is still a 401."""

    @wraps(view)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        g.caller = _verify(optional=True)
        return view(*args, **kwargs)

    return wrapper
