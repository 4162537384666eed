"""Health and metrics of every HTTP service (docs/api.md "Health and metrics"), declared next to each
service's wiring: ``install(app, "shop", databases=("emarket", "account"), broker=True,
cache=True, collectors=[SagaCollector()])``.

- ``GET /health/live``: the process serves.
- ``GET /health/ready``: each of the service's dependencies answers within ``CHECK_TIMEOUT``
  (checks run in parallel, so the reply takes about one timeout at worst); 503 names the one
  that failed with a short reason (never a URL, SQL or stack trace).
- ``GET /info``: name and version.
- ``GET /metrics``: Prometheus text (``web.common.metrics``), plus the service's collectors.
"""
from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Blueprint, Flask, Response, jsonify
from kombu import Connection
from prometheus_client.registry import Collector
from sqlalchemy import text

import emarket
from db.engine import get_engine
from emarket import logs, telemetry
from emarket.config import settings
from emarket.redis_client import redis_client
from emarket.storage import database_url
from web.common import metrics, request_log

CHECK_TIMEOUT = 1.0
# A check stuck past its timeout keeps its thread until it returns; a few spare threads keep
# the next probe answering meanwhile.
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")


def _short(error: BaseException) -> str:
    """A one-line reason without credentials or SQL: the error's type and its first line."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).strip().splitlines() or [""])[0]
    first = re.sub(r"[a-z+]+://\S+", "<url>", first)[:120]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


def check_database(names: tuple[str, ...]) -> None:
    for name in names:
        with get_engine(database_url(name)).connect() as conn:
            conn.execute(text("SELECT 1"))


def check_broker() -> None:
    with Connection(settings().broker_url, connect_timeout=CHECK_TIMEOUT,
                    transport_options={"socket_timeout": CHECK_TIMEOUT, "socket_connect_timeout": CHECK_TIMEOUT,
                                       "max_retries": 0}) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT)


def check_cache() -> None:
    redis_client(timeout=CHECK_TIMEOUT).ping()


def run_checks(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    """``{"database": "up", "cache": "down: ConnectionError: …"}``."""
    # Each check in the request's context: the settings of the app that asks (emarket.config).
    futures = {name: _pool.submit(contextvars.copy_context().run, check) for name, check in checks.items()}
    results: dict[str, str] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=CHECK_TIMEOUT + 0.5)
            results[name] = "up"
        except FutureTimeout:
            results[name] = "down: timed out"
        except Exception as error:  # noqa: BLE001 — any failure means "not ready", named
            results[name] = f"down: {_short(error)}"
    return results


def ops_blueprint(service: str, databases: tuple[str, ...] = (), broker: bool = False, cache: bool = False,
                  collectors: Iterable[Collector] = ()) -> Blueprint:
    bp = Blueprint("ops", __name__)
    checks: dict[str, Callable[[], None]] = {}
    if databases:
        checks["database"] = lambda: check_database(databases)
    if broker:
        checks["broker"] = check_broker
    if cache:
        checks["cache"] = check_cache

    @bp.get("/health/live")
    def live() -> Response:
        return jsonify({"status": "up"})

    @bp.get("/health/ready")
    def ready() -> tuple[Response, int]:
        results = run_checks(checks)
        up = all(value == "up" for value in results.values())
        return jsonify({"status": "up" if up else "down", "checks": results}), 200 if up else 503

    @bp.get("/info")
    def info() -> Response:
        return jsonify({"name": f"emarket-{service}", "version": emarket.__version__})

    @bp.get("/metrics")
    def prometheus() -> Response:
        body, content_type = metrics.exposition(service, collectors)
        return Response(body, content_type=content_type)

    return bp


def install(app: Flask, service: str, databases: tuple[str, ...] = (), broker: bool = False,
            cache: bool = False, collectors: Iterable[Collector] = ()) -> None:
    """JSON logs, traces, per-request correlation id + log line + metrics, and the ops endpoints."""
    logs.configure(service)
    telemetry.configure(service)
    telemetry.instrument_flask(app)
    request_log.install(app, service)
    app.register_blueprint(ops_blueprint(service, databases, broker, cache, collectors))
