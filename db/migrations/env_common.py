"""The body of every database's Alembic ``env.py``: which metadata and which URL."""
from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from db.schema import METADATA


def run(name: str) -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        # Plain `alembic`: the URL the application would use, from the environment as it is now.
        # The one import up a floor the house allows: an entrypoint reads the app's settings.
        from emarket.config import Settings

        url = getattr(Settings(), f"db_{name}")
    options: dict[str, Any] = {"target_metadata": METADATA[name], "compare_type": True}
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
