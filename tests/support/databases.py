"""Real databases for the tests: PostgreSQL databases created on demand, each migrated with the
project's own Alembic history."""
from __future__ import annotations

from sqlalchemy import create_engine, text

from db import migrate
from db.engine import get_engine
from db.schema import DATABASES, METADATA
from tests.settings import PG_SERVER


def ensure_pg_database(name: str, server: str = PG_SERVER) -> str:
    """``name`` exists on ``server`` (the machine's PostgreSQL unless told): its URL."""
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return f"{server}/{name}"


def migrated_pg(prefix: str, server: str = PG_SERVER) -> dict[str, str]:
    urls = {}
    for name in DATABASES:
        url = ensure_pg_database(f"{prefix}_{name}", server)
        migrate.upgrade(name, url)
        urls[name] = url
    return urls


def truncate_all(urls: dict[str, str]) -> None:
    for name, url in urls.items():
        engine = get_engine(url)
        tables = [t.name for t in reversed(METADATA[name].sorted_tables)]
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
