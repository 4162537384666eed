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
import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("emarket_cid", default=None)

# A client-chosen id is echoed into logs and headers: keep it short and plain (no log injection).
_CID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def correlation_id() -> str | None:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> contextvars.Token:
    return _correlation_id.set(value)


def reset_correlation_id(token: contextvars.Token) -> None:
    try:
        _correlation_id.reset(token)
    except ValueError:  # set in another context (a thread that outlived it): just clear
        _correlation_id.set(None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def clean_correlation_id(raw: str | None) -> str | None:
    """The caller's id if it is a safe token, else None (the caller then gets a fresh one)."""
    return raw if raw and _CID_PATTERN.match(raw) else None


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "service", "logger", "msg", "cid"?, <extra fields>…, "exc"?}``."""

    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        cid = _correlation_id.get()
        if cid:
            entry["cid"] = cid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _EmarketHandler(logging.StreamHandler):
    """Marks our handler, so configuring twice (tests build many apps) replaces, not stacks.
    It looks ``sys.stderr`` up at each line, so a replaced stderr (pytest's capture) is followed."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
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
