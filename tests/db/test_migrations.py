"""The migrations build exactly the models' schema, and go down and up again."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from db import migrate
from db.schema import DATABASES
from tests.settings import INTEGRATION_DB_PREFIX
from tests.support.databases import ensure_pg_database


@pytest.fixture
def empty_urls():
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


def test_account_0003_drops_frozen_money_and_gives_it_back_as_zero(empty_urls):
    """The wallet's ``frozen`` column goes with its data kept; a downgrade brings it back as 0,
    and a hold row can no longer be ``frozen``."""
    url = empty_urls["account"]
    migrate.upgrade("account", url, "account_0002")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO \"user\" (id, email, created_at) VALUES (1, 'a@example.com', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO e_wallet (user_id, balance, frozen, updated_at) "
                          "VALUES (1, 700, 0, CURRENT_TIMESTAMP)"))
    migrate.upgrade("account", url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM e_wallet")).mappings().one()["balance"] == 700
        assert "frozen" not in {c["name"] for c in inspect(conn).get_columns("e_wallet")}
        with pytest.raises(IntegrityError):
            conn.execute(text("INSERT INTO wallet_hold (user_id, order_id, amount, status, created_at, updated_at) "
                              "VALUES (1, 'o', 5, 'frozen', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    migrate.downgrade("account", url, "account_0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT balance, frozen FROM e_wallet")).one() == (700, 0)
    engine.dispose()
