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


def unit_of_work(name: str) -> UnitOfWork:
    """``with unit_of_work("emarket") as uow:`` — one transaction on that database."""
    return UnitOfWork(get_engine(database_url(name)))
