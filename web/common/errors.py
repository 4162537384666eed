"""The one error shape of docs/api.md: ``{"error": {"code", "message"}}``, never a stack trace.

Views raise ``ApiError``; Werkzeug's own errors (404, 405, 413 …) and anything unexpected are
mapped here once, so no view formats an error by hand.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from emarket.errors import IdempotencyConflict

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "unprocessable", 429: "too_many_requests", 503: "unavailable",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error.status, error.code, error.message, error.headers)

    @app.errorhandler(IdempotencyConflict)
    def _key_reused(error: IdempotencyConflict):
        return error_response(422, "idempotency_key_reused", "this Idempotency-Key was used with another body")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        headers = {"Allow": error.valid_methods and ", ".join(error.valid_methods)} if status == 405 else {}
        message = {404: "no such resource", 405: "method not allowed on this path",
                   413: "request body over 64 KiB"}.get(status, error.description or error.name)
        return error_response(status, _HTTP_CODES.get(status, "http_error"), message,
                              {k: v for k, v in headers.items() if v})

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; it has been logged")
