"""Engines, one per database URL and process.

Celery's prefork workers fork after import: a pooled connection must never cross a fork, so
engines are cached per (url, pid). Each URL has a second engine whose connections autocommit
(``get_engine(url, autocommit=True)``): a statement there is its own transaction, one round trip
instead of three (psycopg2 sends BEGIN and COMMIT as round trips of their own), for the saga
steps whose every write is one all-or-nothing statement (``emarket.storage``).
"""
from __future__ import annotations

import os
import threading

import sqlalchemy
from sqlalchemy import Engine

_engines: dict[tuple[str, int, bool], Engine] = {}
_lock = threading.Lock()
# A pre-ping costs a round trip (SELECT 1) per checkout. The web keeps it (a stale connection
# would fail a request); Celery workers turn it off (``without_pre_ping``): there a dropped
# connection fails the step with a transient error, and the step's retry gets a fresh one.
_pre_ping = True


def without_pre_ping() -> None:
    """Engines created from now on in this process do not ping a connection at checkout."""
    global _pre_ping
    _pre_ping = False


def get_engine(url: str, autocommit: bool = False) -> Engine:
    """The engine of ``url`` in this process. ``autocommit``: each statement commits on its own."""
    key = (url, os.getpid(), autocommit)
    engine = _engines.get(key)
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create(url, autocommit)
            _engines[key] = engine
    return engine


def _create(url: str, autocommit: bool = False) -> Engine:
    # Looked up on the module at each call, so OpenTelemetry's SQLAlchemy instrumentation
    # (which wraps sqlalchemy.create_engine) reaches the engines made after it is installed.
    return sqlalchemy.create_engine(
        url,
        pool_pre_ping=_pre_ping,
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5, "application_name": "emarket"},
        # Set once per connection (its own pool): no reset when a connection goes back.
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )


def dispose_all() -> None:
    """Drop every pooled connection of this process (after a fork, or in tests)."""
    with _lock:
        for key, engine in list(_engines.items()):
            if key[1] == os.getpid():
                engine.dispose()
            _engines.pop(key, None)
