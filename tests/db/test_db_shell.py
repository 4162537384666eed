"""`emarket db shell NAME` opens psql on that database, arguments after NAME going to psql, and
exits with psql's status. On a server given by EMARKET_DB_* here; on the embedded one in
tests/e2e/test_embedded_postgres.py."""
from __future__ import annotations

import os
import subprocess
import sys


def _shell(urls: dict, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **{f"EMARKET_DB_{name.upper()}": url for name, url in urls.items()}}
    return subprocess.run([sys.executable, "-m", "emarket.cli", "db", "shell", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_each_name_opens_its_own_database_and_passes_the_rest_to_psql(db_urls):
    for name, url in db_urls.items():
        done = _shell(db_urls, name, "-tAc", "select current_database()")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == url.rsplit("/", 1)[1]


def test_psqls_failure_is_the_commands_and_an_unknown_name_is_refused(db_urls):
    failed = _shell(db_urls, "emarket", "-v", "ON_ERROR_STOP=1", "-c", "select * from no_such_table")
    assert failed.returncode != 0 and "no_such_table" in failed.stderr
    unknown = _shell(db_urls, "orders", "-c", "select 1")
    assert unknown.returncode == 2 and "'orders' is not one of 'account', 'emarket', 'bank'" in unknown.stderr
