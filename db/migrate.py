"""Run Alembic from code: bring a database to head, down to base, or compare it to the models."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from db.schema import METADATA

INI = Path(__file__).resolve().parent / "migrations" / "alembic.ini"


def alembic_config(name: str, url: str) -> Config:
    config = Config(str(INI), ini_section=name)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(name: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(name, url), revision)


def downgrade(name: str, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(name, url), revision)


def schema_diff(name: str, url: str) -> list[Any]:
    """Differences between the migrated database and the models (empty when they agree)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, METADATA[name]))
    finally:
        engine.dispose()
