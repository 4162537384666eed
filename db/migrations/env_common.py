"""The body of every database's Alembic ``env.py``: which metadata and which URL."""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from db.schema import METADATA, URL_VARIABLES


def run(name: str) -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(URL_VARIABLES[name])
    if not url:
        # Plain `alembic` on the embedded default: the same URL the application would use.
        from emarket.config import settings  # an entrypoint may read the app's settings

        url = getattr(settings(), f"db_{name}")
    options = {"target_metadata": METADATA[name], "compare_type": True}
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
