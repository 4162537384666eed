"""The one error shape of docs/api.md: ``{"error": {"code", "message"}}``, never a stack trace.

Views raise ``ApiError``, or let a domain error (``emarket.errors``) pass: each is mapped here
once for every app — its status by its class, its code its reason, its message fixed by reason
(an error reply never echoes the caller's input, which a domain detail may hold). Werkzeug's own
errors (404, 405, 413 …) and anything unexpected are mapped here too, so no view formats an
error by hand or translates a domain error itself.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

import redis
from flask import Flask, Response, jsonify, render_template_string, request
from flask.typing import ResponseReturnValue
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from db.errors import is_transient
from emarket.errors import DomainError, IdempotencyConflict, NotFound, TransientError
from emarket.pagination import BadCursor

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "unprocessable", 429: "too_many_requests", 503: "unavailable",
}


# A domain error's status, by its class (the first that matches); any other refusal of a business
# rule is a conflict with the current state of what was asked for.
_DOMAIN_STATUS = ((NotFound, 404), (BadCursor, 400), (IdempotencyConflict, 422), (DomainError, 409))

# The message of each reason a view lets through; a reason not listed gets its status's word.
_MESSAGES = {
    "not_found": "no such resource",
    "unknown_account": "no such bank account",
    "unknown_hold": "no such hold",
    "no_wallet": "this user has no e-wallet",
    "invalid_cursor": "the cursor is not one this service issued",
    "idempotency_key_reused": "this Idempotency-Key was used with another body",
    "email_taken": "this email is already registered",
    "insufficient_funds": "the account cannot cover the amount",
    "hold_captured": "the hold was captured; it cannot be released",
    "count_below_reserved": "count is below the units reserved",
}


_PAGE_TEXT = {404: "There is no page at this address.", 405: "This address does not take that kind of request.",
              413: "What was sent is too large (over 64 KiB)."}


def wants_html() -> bool:
    """A browser asking for a page (HTML first in its Accept header), not an API client: those
    ask for JSON, or for anything, and the /api/ paths always answer JSON (docs/api.md)."""
    # best_match, not best: a browser lists several types at q=1 (text/html, image/avif …), and
    # a client sending */* prefers the first we offer, JSON.
    return (not request.path.startswith("/api/")
            and request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html")


def html_error(status: int, text: str) -> str:
    """A plain page for a browser that reached an address a service has no page for."""
    return render_template_string(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ status }}</title>'
        '<link rel="stylesheet" href="/docs/assets/docs.css"></head><body><main><h1>{{ title }}</h1>'
        '<p>{{ text }}</p><p><a href="/docs/">This service\'s API documentation</a></p></main></body></html>',
        status=status, title={404: "Not found"}.get(status, "That did not work"), text=text)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message, error.headers)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        status = next(status for kind, status in _DOMAIN_STATUS if isinstance(error, kind))
        return error_response(status, error.reason, _MESSAGES.get(error.reason, _HTTP_CODES[status].replace("_", " ")))

    @app.errorhandler(TransientError)
    def _not_in_time(error: TransientError) -> Response:
        # A dependency did not answer in time; the request is idempotent, so a retry is safe
        # and tells the outcome.
        return error_response(503, "unavailable", "a service did not answer in time; retry", {"Retry-After": "1"})

    # A database, the broker or Redis out of reach (a crash, a restart, a node failing over):
    # 503 with Retry-After, never a 500. Nothing was half done: a new order is stored and its
    # first message sent after the commit (or by the stuck-saga sweep), and every creating POST
    # is idempotent, so the client retries the same request with the same Idempotency-Key.
    def _out_of_reach(error: Exception) -> Response:
        if isinstance(error, DBAPIError) and not is_transient(error):
            return _unexpected(error)
        log.warning("a dependency is out of reach: %s", type(error).__name__)
        return error_response(503, "unavailable", "a service is unavailable for a moment; retry", {"Retry-After": "2"})

    for kind in (DBAPIError, DisconnectionError, PoolTimeout, BrokerError, redis.ConnectionError, redis.TimeoutError):
        app.register_error_handler(kind, _out_of_reach)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        # Only MethodNotAllowed carries valid_methods (and it is the only HTTPException with 405).
        allow = (", ".join(error.valid_methods)
                 if status == 405 and isinstance(error, MethodNotAllowed) and error.valid_methods else "")
        headers = {"Allow": allow} if allow else {}
        if wants_html():
            return html_error(status, _PAGE_TEXT.get(status, error.name)), status, headers
        message = {404: "no such resource", 405: "method not allowed on this path",
                   413: "request body over 64 KiB"}.get(status, error.description or error.name)
        return error_response(status, _HTTP_CODES.get(status, "http_error"), message,
                              headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; it has been logged")
