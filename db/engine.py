"""Engines, one per database URL and process.

Celery's prefork workers fork after import: a pooled connection must never cross a fork, so
engines are cached per (url, pid). PostgreSQL has a second engine per URL whose connections
autocommit (``get_engine(url, autocommit=True)``): a statement there is its own transaction, one
round trip instead of three (psycopg2 sends BEGIN and COMMIT as round trips of their own), for
the saga steps whose every write is one all-or-nothing statement (``emarket.storage``). SQLite (the embedded run) gets WAL, foreign keys, a busy
timeout and ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing mid-transaction.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

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


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine(url: str, autocommit: bool = False) -> Engine:
    """The engine of ``url`` in this process. ``autocommit``: each statement commits on its own
    (PostgreSQL; SQLite keeps its transactions, whose writers queue anyway)."""
    autocommit = autocommit and not url.startswith("sqlite")
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
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sqlalchemy.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
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
