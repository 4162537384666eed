"""The unit of work: one transaction on one database.

``with UnitOfWork(engine) as uow:`` opens a session and a transaction; leaving the block
commits, an exception rolls back, and the session is always closed, so nothing leaks from one
Celery task or HTTP request into the next. ``after_commit`` callbacks run only once the commit
succeeded: that is where the web publishes what it has just stored (a new order's phase 1, a
top-up's start). A saga step publishes nothing itself: its next step is the Celery chain's,
sent after the task has returned, that is after its commit.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session


class UnitOfWork:
    def __init__(self, engine: Engine):
        self._engine = engine
        self._after_commit: list[Callable[[], None]] = []
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = Session(self._engine, expire_on_commit=False, autoflush=True)
        self.session.begin()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        session, self.session = self.session, None
        try:
            if exc_type is None:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
        if exc_type is None:
            callbacks, self._after_commit = self._after_commit, []
            for callback in callbacks:
                callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name
