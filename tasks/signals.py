"""Celery hooks for operations: JSON logging, the correlation id across messages, one log line
and one latency sample per saga step. ``tasks.celery_app`` connects them (``connect``) as it
builds the app, so every process that uses the app has them: workers, beat, and the web,
whose messages carry the request's correlation id.

- ``worker_process_init``: a worker's engines do not pre-ping (see ``db.engine``).
- ``setup_logging``: Celery leaves logging to us (every worker and beat log JSON lines
  on stderr through ``emarket.logs``; Flower keeps its own tornado log format), and traces
  start here when they are on (``emarket.telemetry``).
- ``before_task_publish``: every message sent while a correlation id is current (an HTTP
  request, or a task that is itself part of a saga) carries it in the ``emarket_cid`` header,
  so tasks whose arguments hold no saga context (``money_add.*``, the payment clock) keep it.
- ``task_prerun`` / ``task_postrun``: the task's correlation id becomes current (the saga
  context's ``cid`` first, then the header, else a fresh one), and each run logs
  ``step started`` and ``step done`` (outcome, duration) with the order or top-up id. Both ids
  are read where the task's signature declares them (``tasks.subject``): its ``SagaContext``
  parameter, or its ``order_id`` / ``topup_id`` one.
  ``step started`` lines of one saga are causally ordered (each step is published by the one
  before), so ``grep <order id>`` reads them in saga order.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from contextvars import Token
from typing import Any

from celery import Task, signals

from db import engine
from emarket import logs, telemetry
from tasks import metrics
from tasks.subject import subject_of

log = logging.getLogger("emarket.saga")

HEADER = "emarket_cid"
# Periodic sweeps and the liveness ping are not saga steps: no latency samples for them.
NOT_STEPS = frozenset({"saga.ping", "saga.cancel_overdue", "saga.resume_stuck", "saga.resume", "saga.forget_idempotency_keys",
                       "money_add.sweep"})

_running: dict[str, tuple[float, Token[str | None], dict[str, Any]]] = {}


def connect() -> None:
    """Connect every hook (again is harmless: a signal keeps one connection per receiver)."""
    signals.setup_logging.connect(_setup_logging)
    signals.worker_process_init.connect(_no_pre_ping)
    signals.worker_process_shutdown.connect(_flush_step_latencies)
    signals.before_task_publish.connect(_carry_correlation_id)
    signals.task_prerun.connect(_step_started)
    signals.task_postrun.connect(_step_done)


def _process_name() -> str:
    for name in ("worker", "beat", "flower"):
        if name in sys.argv:
            return name
    return "celery"


def _setup_logging(loglevel: str | int | None = None, **_: Any) -> None:
    logs.configure(_process_name(), loglevel)
    if telemetry.configure(_process_name()) is not None:  # OTEL_EXPORTER_OTLP_ENDPOINT is set
        _log_steps_inside_their_spans()


def _log_steps_inside_their_spans() -> None:
    """Celery calls a signal's receivers in the order they connected, and the tracer connected
    after us: connect ``step started`` again, after the tracer has opened the task's span, so
    that line carries the trace id too (``step done`` already runs before the span ends)."""
    signals.task_prerun.disconnect(_step_started)
    signals.task_prerun.connect(_step_started)


def _no_pre_ping(**_: Any) -> None:
    # A step's unit of work skips the SELECT 1 at checkout: a dead connection fails the step
    # with a transient error (db.errors.is_transient) and the retry takes a fresh one.
    engine.without_pre_ping()


def _flush_step_latencies(**_: Any) -> None:
    # The figures of this process's last second of steps, before it exits.
    metrics.flush()


def _carry_correlation_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    cid = logs.correlation_id()
    if cid and headers is not None and not headers.get(HEADER):
        headers[HEADER] = cid


def _cid_of(task: Task, cid: str | None) -> str:
    if cid:
        return str(cid)
    header = getattr(task.request, HEADER, None) or (task.request.headers or {}).get(HEADER)
    return logs.clean_correlation_id(header) or logs.new_correlation_id()


def _step_started(task_id: str, task: Task, args: Sequence[Any] | None = None,
                  kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    found = subject_of(task, args, kwargs)
    subject = found.fields()
    token = logs.set_correlation_id(_cid_of(task, found.cid))
    _running[task_id] = (time.perf_counter(), token, subject)
    log.info("step started", extra={"task": task.name, "task_id": task_id, **subject,
                                    "attempt": task.request.retries or 0})


def _result_field(retval: object) -> dict[str, Any]:
    if isinstance(retval, BaseException):
        return {"error": type(retval).__name__, "reason": getattr(retval, "reason", None)}
    if isinstance(retval, dict) and "outcome" in retval:
        return {"result": retval["outcome"]}
    if isinstance(retval, (str, bool, int)):
        return {"result": retval}
    return {}


def _step_done(task_id: str, task: Task, retval: object = None, state: str | None = None, **_: Any) -> None:
    running = _running.pop(task_id, None)
    started, token, subject = running if running is not None else (None, None, {})
    seconds = time.perf_counter() - started if started is not None else 0.0
    try:
        log.info("step done", extra={"task": task.name, "task_id": task_id, **subject,
                                     "outcome": (state or "unknown").lower(),
                                     "duration_ms": round(seconds * 1000, 2), **_result_field(retval)})
        if started is not None and task.name not in NOT_STEPS:
            metrics.step_observed(task.name, seconds)
    finally:
        if token is not None:
            logs.reset_correlation_id(token)
