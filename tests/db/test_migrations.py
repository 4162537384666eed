"""The migrations build exactly the models' schema, and go down and up again."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from db import migrate
from db.schema import DATABASES
from tests.support.databases import ensure_pg_database
from tests.settings import INTEGRATION_DB_PREFIX


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_urls(request, tmp_path):
    if request.param == "sqlite":
        return {name: f"sqlite:///{tmp_path}/{name}.db" for name in DATABASES}
    urls = {}
    for name in DATABASES:
        url = ensure_pg_database(f"{INTEGRATION_DB_PREFIX}_mig_{name}")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        urls[name] = url
    return urls


def test_upgrade_down_up_matches_models(empty_urls):
    for name, url in empty_urls.items():
        migrate.upgrade(name, url)
        assert migrate.schema_diff(name, url) == [], name
        migrate.downgrade(name, url)
        engine = create_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        migrate.upgrade(name, url)
        assert migrate.schema_diff(name, url) == [], name


def test_postgres_constraints_carry_their_names():
    url = ensure_pg_database(f"{INTEGRATION_DB_PREFIX}_mig_names")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade("emarket", url)
    with engine.connect() as conn:
        names = set(conn.execute(text(
            "SELECT conname FROM pg_constraint WHERE conrelid = '\"order\"'::regclass")).scalars())
    engine.dispose()
    assert {"pk_order", "ck_order_status_known"} <= names
    assert all(n.startswith(("pk_", "uq_", "ck_", "fk_")) for n in names), names
