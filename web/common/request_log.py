"""Per request, on every service: the correlation id, one JSON log line, the HTTP metrics.

The correlation id is the caller's ``X-Correlation-ID`` when it is a plain token (1..128 of
``A-Z a-z 0-9 . _ : -``), otherwise a fresh one; it is returned in the same header, is current
for the request (every log line and every Celery message sent meanwhile carry it), and the
shop stores it on the orders it places (``g.correlation_id``).
"""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from emarket import logs
from web.common import metrics

HEADER = "X-Correlation-ID"
# Probes and scrapes arrive every few seconds: logged at DEBUG unless they fail, so the log
# stays about the shop's traffic.
QUIET = ("/health/live", "/health/ready", "/metrics")
log = logging.getLogger("emarket.http")


def correlation_id() -> str:
    """The current request's correlation id (a fresh one outside a request)."""
    return getattr(g, "correlation_id", None) or logs.correlation_id() or logs.new_correlation_id()


def _endpoint() -> str:
    # The route template (``/api/orders/<order_id>``), not the path: bounded label values.
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


def install(app: Flask, service: str) -> None:
    @app.before_request
    def _begin() -> None:
        g.request_started = time.perf_counter()
        g.correlation_id = logs.clean_correlation_id(request.headers.get(HEADER)) or logs.new_correlation_id()
        g.correlation_token = logs.set_correlation_id(g.correlation_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # a failure before our before_request ran
            return response
        seconds = time.perf_counter() - started
        response.headers[HEADER] = g.correlation_id
        caller = g.get("caller")
        quiet = request.path in QUIET and response.status_code < 400
        log.log(logging.DEBUG if quiet else logging.INFO, "request", extra={
            "method": request.method, "path": request.path, "endpoint": _endpoint(),
            "status": response.status_code, "duration_ms": round(seconds * 1000, 2),
            "user_id": getattr(caller, "id", None)})
        metrics.observe(service, request.method, _endpoint(), response.status_code, seconds)
        return response

    @app.teardown_request
    def _end(_error: BaseException | None = None) -> None:
        token = g.pop("correlation_token", None)
        if token is not None:
            logs.reset_correlation_id(token)
