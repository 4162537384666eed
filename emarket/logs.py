"""Structured logs for every process: one JSON object per line on stderr, and the correlation id
that ties an HTTP request to every task of the saga it started.

Every service configures logging here, once (the web apps at creation, Celery through its
``setup_logging`` signal), so ``grep <order id>`` over all services' logs reads as one story.
stderr because compose collects it and ``emarket up`` redirects it to ``var/logs/<service>.log``.

The correlation id lives in a context variable: the web sets it per request, a worker per task
(from the message's ``cid`` header or the saga context), and every log line carries it.
"""
from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from opentelemetry import trace
from pythonjsonlogger import json as jsonlogger

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("emarket_cid", default=None)

# A client-chosen id is echoed into logs and headers: keep it short and plain (no log injection).
_CID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def correlation_id() -> str | None:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> contextvars.Token[str | None]:
    return _correlation_id.set(value)


def reset_correlation_id(token: contextvars.Token[str | None]) -> None:
    try:
        _correlation_id.reset(token)
    except ValueError:  # set in another context (a thread that outlived it): just clear
        _correlation_id.set(None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def clean_correlation_id(raw: str | None) -> str | None:
    """The caller's id if it is a safe token, else None (the caller then gets a fresh one)."""
    return raw if raw and _CID_PATTERN.match(raw) else None


class JsonFormatter(jsonlogger.JsonFormatter):
    """``{"ts", "level", "service", "logger", "msg", "cid"?, "trace_id"?, "span_id"?, <extra
    fields>…, "exc"?}``: python-json-logger does the record-to-JSON work (extra fields,
    exceptions, anything not JSON-able as ``str``); we add the time as docs/api.md writes times,
    the correlation id and the OpenTelemetry trace, so a log line leads to its trace."""

    def __init__(self, service: str):
        super().__init__("{levelname}{name}{message}", style="{", json_default=str, json_ensure_ascii=False,
                         rename_fields={"levelname": "level", "name": "logger", "message": "msg", "exc_info": "exc"},
                         static_fields={"service": service})

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["ts"] = (datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                          .replace("+00:00", "Z"))
        super().add_fields(log_data, record, message_dict)
        cid = _correlation_id.get()
        if cid:
            log_data["cid"] = cid
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            log_data["trace_id"] = format(span.trace_id, "032x")
            log_data["span_id"] = format(span.span_id, "016x")
        log_data.pop("taskName", None)


class _EmarketHandler(logging.StreamHandler[TextIO]):
    """Marks our handler, so configuring twice (tests build many apps) replaces, not stacks.
    It looks ``sys.stderr`` up at each line, so a replaced stderr (pytest's capture) is followed."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(service: str, level: str | int | None = None) -> None:
    """JSON lines on stderr for the whole process (the root logger)."""
    from emarket.config import settings

    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _EmarketHandler):
            root.removeHandler(handler)
    handler = _EmarketHandler()
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    level = level or settings().log_level
    root.setLevel(level.upper() if isinstance(level, str) else level)
