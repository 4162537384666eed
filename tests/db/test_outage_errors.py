"""Which database errors are an outage (retried until the server is back, never compensated)
and which are not: real errors from real PostgreSQL, and from a server that is not there."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from db.errors import is_transient, is_unavailable
from tests.settings import PG_SERVER


def _error_of(url: str, sql: str) -> DBAPIError:
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    except DBAPIError as error:
        return error
    finally:
        engine.dispose()
    pytest.fail(f"{sql} did not fail")


def test_a_server_that_is_not_there_is_an_outage():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = _error_of(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres", "SELECT 1")
    assert is_unavailable(error) and is_transient(error)


def test_a_terminated_connection_is_an_outage():
    # What every backend gets when the postmaster is killed or restarted: 57P01 admin_shutdown.
    error = _error_of(f"{PG_SERVER}/postgres", "SELECT pg_terminate_backend(pg_backend_pid())")
    assert is_unavailable(error)


@pytest.mark.parametrize("sql", ["SELECT 1/0", "SELECT * FROM no_such_table", "SELECT 'x'::int"])
def test_a_broken_statement_is_no_outage(sql):
    error = _error_of(f"{PG_SERVER}/postgres", sql)
    assert not is_unavailable(error) and not is_transient(error)
