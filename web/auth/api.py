"""The auth service's JSON API, exactly as docs/api.md's "Auth service" section."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, ParamSpec, TypeVar

from flask import Response, current_app, jsonify, request
from flask_jwt_extended import get_jwt, jwt_required, verify_jwt_in_request
from flask_jwt_extended.exceptions import RevokedTokenError
from flask_openapi3 import APIBlueprint
from flask_openapi3.request import validate_request
from flask_openapi3.types import ResponseDict
from pydantic import EmailStr, Field
from sqlalchemy.exc import OperationalError

from db.account import IdempotentRequest
from db.unit_of_work import UnitOfWork
from emarket import accounts, idempotency
from emarket.config import settings
from emarket.errors import NotFound
from emarket.idempotency import Reply
from emarket.storage import unit_of_work
from web.auth import profiles, ratelimit, tokens
from web.auth.replies import Jwks, LoggedOut, Registered, Tokens
from web.common import idempotency as idempotent
from web.common import revocation
from web.common.api_docs import IdempotencyHeader, errors, with_headers
from web.common.client_address import client_address
from web.common.errors import ApiError, error_response
from web.common.validation import EmptyBody, StrictModel

bp = APIBlueprint("auth", __name__)
log = logging.getLogger(__name__)

_ROTATED = "emarket:refresh-rotated:"
_RETRY_AFTER = "5"

_P = ParamSpec("_P")
_R = TypeVar("_R")


class RegisterBody(StrictModel):
    email: Annotated[EmailStr, Field(max_length=accounts.EMAIL_MAX)]
    password: Annotated[str, Field(min_length=accounts.PASSWORD_MIN, max_length=accounts.PASSWORD_MAX)]
    # A display name: any text but control characters (PostgreSQL refuses NUL outright).
    name: Annotated[str, Field(max_length=accounts.NAME_MAX, pattern=r"^[^\x00-\x1f\x7f]*$")] | None = None


class LoginBody(StrictModel):
    # No shape or length rules here: whatever the "email" is, a wrong login is the same 401.
    email: str
    password: str


def _wrong_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", "wrong email or password")


def _verified(email: str, password: str) -> accounts.Identity | None:
    """The password check behind the login rate limit (429 once it is reached)."""
    try:
        attempt = ratelimit.begin(email, client_address(request))
    except ratelimit.Blocked as blocked:
        raise ApiError(429, "too_many_requests", "too many failed logins; try again later",
                       {"Retry-After": str(blocked.retry_after)}) from None
    try:
        with unit_of_work("account") as uow:
            identity = accounts.verify_login(uow, email, password)
    except Exception:
        ratelimit.abandon(attempt)  # no answer is not a failed attempt
        raise
    if identity is not None:
        ratelimit.succeeded(attempt)
    return identity


def _unavailable(description: str) -> dict[str, Any]:
    return with_headers("Error", description, "Retry-After")


@bp.post("/auth/register", summary="Register a user (and their e-wallet)", security=[{}],
         responses={201: Registered, **errors(400, 409, 413, 422),
                    503: _unavailable("the account service did not answer in time")})
def register(header: IdempotencyHeader, body: RegisterBody) -> Response:
    """201 once the profile and e-wallet exist; 409 ``email_taken`` for a registered email,
    whatever the password. With an Idempotency-Key (scoped to the email), a retry of the same
    registration is answered with its first 201, and a retry after a 503 (the profile step did
    not answer in time) takes the registration over: it re-sends the idempotent profile step."""
    email = accounts.normalise_email(body.email)
    key, scope = header.idempotency_key, f"register:{email}"

    def create(uow: UnitOfWork) -> str:
        return str(accounts.register_credentials(uow, email, body.password))

    def set_up_profile(user_id: str) -> Reply:
        try:  # a Conflict (the email taken meanwhile) is answered 409 email_taken by the app
            profiles.create_profile(current_app.extensions["emarket_account_queue"], int(user_id), email, body.name)
        except profiles.NoReply:
            if key is not None:  # the retry with this key takes the registration over
                idempotency.store_reply("account", IdempotentRequest, scope, key, _UNANSWERED, settled=False)
            raise ApiError(503, "unavailable", "the account is being set up; retry the same request",
                           {"Retry-After": _RETRY_AFTER}) from None
        return idempotent.json_reply(201, {"id": int(user_id), "email": email})

    outcome = idempotency.create_once("account", IdempotentRequest, scope, key,
                                      idempotent.fingerprint(body.model_dump()) if key else None, create)
    if not outcome.created:
        # Not created: only a claimed key finds an earlier request, so both are there.
        assert key is not None and outcome.earlier is not None
        return idempotent.replay("account", IdempotentRequest, scope, key, outcome.earlier, set_up_profile)
    assert outcome.resource_id is not None  # created: create() returned the new id
    reply = set_up_profile(outcome.resource_id)
    if key is not None:
        idempotency.store_reply("account", IdempotentRequest, scope, key, reply)
    return idempotent.respond(reply)


# What a registration whose profile step did not answer leaves for its retry (never sent again).
_UNANSWERED = Reply(503, b"", None)


@bp.post("/auth/login", summary="Log in: an access and a refresh token", security=[{}],
         responses={200: Tokens, **errors(400, 401, 413),
                    429: with_headers("Error", "too many failed logins", "Retry-After"),
                    503: _unavailable("the account database did not answer")})
def login(body: LoginBody) -> Response:
    identity = _verified(body.email, body.password)
    if identity is None:
        raise _wrong_credentials()
    return jsonify(tokens.issue(identity, fresh=True))


def _seconds_left(claims: dict[str, Any]) -> int:
    """How long a revocation of this token must last: until it would expire anyway."""
    expires = claims.get("exp") or time.time() + settings().refresh_token_ttl
    return max(1, int(expires - time.time()) + 1)


def _refresh_token_required(view: Callable[_P, _R]) -> Callable[_P, _R]:
    """A valid refresh token in the header, checked before the body; a rotated one presented
    again revokes its session."""

    @wraps(view)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            verify_jwt_in_request(refresh=True, locations=["headers"])
        except RevokedTokenError as error:
            _revoke_session_on_reuse(error.jwt_data)
            raise
        return view(*args, **kwargs)

    return checked


_TOKEN_ROUTE: ResponseDict = {**errors(400, 401, 413), 503: _unavailable("the token store did not answer")}


@bp.post("/auth/refresh", summary="New tokens for a refresh token (which is revoked: rotation)",
         security=[{"refresh": []}], responses={200: Tokens, **_TOKEN_ROUTE})
@_refresh_token_required
@validate_request()
def refresh(body: EmptyBody) -> Response:
    """Rotation: the presented refresh token is revoked and a new pair issued in its session.
    SET NX makes the rotation atomic: of two concurrent uses of one token, exactly one wins.
    A refresh token presented again after its rotation means two holders of one token (a
    stolen copy, or the thief came first): the whole session is revoked (RFC 9700 4.14.2)."""
    claims = get_jwt()
    ttl = _seconds_left(claims)
    if not revocation.client().set(_ROTATED + claims["jti"], "1", nx=True, ex=ttl):
        raise ApiError(401, "unauthorized", "the token has been revoked")
    revocation.revoke(claims["jti"], ttl)
    try:
        with unit_of_work("account") as uow:
            identity = accounts.identity_of(uow, int(claims["sub"]))
    except (NotFound, ValueError):
        raise ApiError(401, "unauthorized", "unknown user") from None
    return jsonify(tokens.issue(identity, sid=claims.get("sid")))


def _revoke_session_on_reuse(claims: dict[str, Any]) -> None:
    # Only a token this service rotated (signature and expiry already verified) counts as reuse.
    if claims.get("type") == "refresh" and claims.get("sid") and revocation.client().exists(_ROTATED + claims["jti"]):
        log.warning("refresh token reused after rotation; revoking session %s", claims["sid"])
        revocation.revoke_session(claims["sid"], settings().refresh_token_ttl)


@bp.post("/auth/logout", summary="Revoke the access token and its session", security=[{"bearer": []}],
         responses={200: LoggedOut, **_TOKEN_ROUTE})
@jwt_required(locations=["headers"])
@validate_request()
def logout(body: EmptyBody) -> Response:
    claims = get_jwt()
    revocation.revoke(claims["jti"], _seconds_left(claims))
    if claims.get("sid"):
        # Outlives every refresh token of the session: each was issued before this moment.
        revocation.revoke_session(claims["sid"], settings().refresh_token_ttl)
    return jsonify({"status": "logged_out"})


@bp.get("/.well-known/jwks.json", summary="The public keys that verify the tokens", security=[{}],
        responses={200: Jwks})
def jwks() -> Response:
    response = jsonify({"keys": [current_app.config["EMARKET_JWK"]]})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.errorhandler(OperationalError)
def _database_down(error: OperationalError) -> Response:
    # A lost connection, a timeout, a deadlock: the request changed nothing and may be retried.
    log.warning("account database unavailable: %s", type(error.orig).__name__ if error.orig else error)
    return error_response(503, "unavailable", "the account database is unavailable; retry shortly",
                          {"Retry-After": _RETRY_AFTER})
