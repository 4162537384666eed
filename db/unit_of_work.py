"""The unit of work: one transaction on one database.

``with UnitOfWork(engine) as uow:`` opens a transaction; leaving the block commits, an
exception rolls back, and the connection is always given back, so nothing leaks from one
Celery task or HTTP request into the next. ``after_commit`` callbacks run only once the commit
succeeded: that is where the web publishes what it has just stored (a new order's phase 1, a
top-up's start). A saga step publishes nothing itself: its next step is the Celery chain's,
sent after the task has returned, that is after its commit.

Two ways in, one transaction: ``uow.connection()`` (SQLAlchemy Core: the saga steps' one
statement each) and ``uow.session`` (the ORM). Neither exists before it is first asked for, and
the session, when the connection came first, joins the connection's transaction. A saga step
thus never builds an ORM session it does not use: building and committing one cost more CPU
than the step's statement (bench/README.md, "Lean steps").

On an engine whose connections autocommit (``db.engine.get_engine(url, autocommit=True)``) the
same block runs each statement as its own transaction: commit and rollback then send nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result
from sqlalchemy.orm import Session


def rows_changed(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE sent through ``uow.session`` changed: its result is a
    CursorResult, though the session's signature promises only a Result."""
    return cast(CursorResult[Any], result).rowcount


class UnitOfWork:
    def __init__(self, engine: Engine):
        self._engine = engine
        self._after_commit: list[Callable[[], None]] = []
        self._session: Session | None = None
        self._connection: Connection | None = None
        self._open = False

    def __enter__(self) -> UnitOfWork:
        self._open = True
        return self

    @property
    def session(self) -> Session:
        """The ORM session of this transaction (asked for outside the ``with`` block: an error,
        as with ``connection()``: a session there would belong to no transaction)."""
        if self._session is None:
            if not self._open:
                raise RuntimeError("the unit of work is not open")
            if self._connection is not None:  # joins the connection's transaction (never commits it)
                self._session = Session(bind=self._connection, expire_on_commit=False, autoflush=True)
            else:
                self._session = Session(self._engine, expire_on_commit=False, autoflush=True)
                self._session.begin()
        return self._session

    def connection(self) -> Connection:
        """The Core connection of this transaction."""
        if self._session is not None:
            return self._session.connection()
        if self._connection is None:
            if not self._open:
                raise RuntimeError("the unit of work is not open")
            self._connection = self._engine.connect()
            self._connection.begin()
        return self._connection

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        session, connection = self._session, self._connection
        self._session = self._connection = None
        self._open = False
        try:
            if exc_type is None:
                if session is not None:
                    session.commit()  # the session's own transaction, or a flush into the connection's
                if connection is not None:
                    connection.commit()
            else:
                if session is not None:
                    session.rollback()
                if connection is not None:
                    connection.rollback()
        finally:
            if session is not None:
                session.close()
            if connection is not None:
                connection.close()
        if exc_type is None:
            callbacks, self._after_commit = self._after_commit, []
            for callback in callbacks:
                callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

