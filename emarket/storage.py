"""Opening a unit of work on one of the three databases, located by the settings."""
from __future__ import annotations

from db.engine import get_engine
from db.schema import DATABASES
from db.unit_of_work import UnitOfWork
from emarket.config import settings


def database_url(name: str) -> str:
    if name not in DATABASES:
        raise ValueError(f"unknown database {name!r}")
    return getattr(settings(), f"db_{name}")


def unit_of_work(name: str, autocommit: bool = False) -> UnitOfWork:
    """``with unit_of_work("emarket") as uow:`` — one transaction on that database.

    ``autocommit=True``: on PostgreSQL each statement commits on its own, one round trip
    instead of three (BEGIN, the statement, COMMIT). Only for a step whose every write is ONE
    statement that writes nothing unless everything holds, whose other statements only read,
    and which a redelivery finds done (the saga steps that use it say why they qualify). SQLite
    (the embedded run) keeps one transaction."""
    return UnitOfWork(get_engine(database_url(name), autocommit=autocommit))
