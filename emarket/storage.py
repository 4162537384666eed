"""Opening a unit of work on one of the three databases, located by the settings."""
from __future__ import annotations

from db.engine import get_engine
from db.schema import DATABASES
from db.unit_of_work import UnitOfWork
from emarket import embedded_pg
from emarket.config import settings

# The command line (``emarket …``) starts the embedded PostgreSQL the first time one of its
# commands opens a database on it; services started by ``emarket up`` find it running.
_start_on_demand = False
_embedded = None


def start_embedded_on_demand() -> None:
    global _start_on_demand
    _start_on_demand = True


def database_url(name: str) -> str:
    global _embedded
    if name not in DATABASES:
        raise ValueError(f"unknown database {name!r}")
    url: str = getattr(settings(), f"db_{name}")
    if _start_on_demand and _embedded is None and embedded_pg.uses_embedded(settings().var_dir, url):
        _embedded = embedded_pg.start(settings().var_dir)
    return url


def release_embedded() -> None:
    """Let go of the embedded PostgreSQL this process started or joined (it stops if no other
    process uses it); at exit, the wheel does it anyway."""
    global _embedded
    if _embedded is not None:
        embedded_pg.stop(_embedded)
        _embedded = None


def unit_of_work(name: str, autocommit: bool = False) -> UnitOfWork:
    """``with unit_of_work("emarket") as uow:`` — one transaction on that database.

    ``autocommit=True``: each statement commits on its own, one round trip instead of three
    (BEGIN, the statement, COMMIT). Only for a step whose every write is ONE statement that
    writes nothing unless everything holds, whose other statements only read, and which a
    redelivery finds done (the saga steps that use it say why they qualify)."""
    return UnitOfWork(get_engine(database_url(name), autocommit=autocommit))
