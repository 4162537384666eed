"""Where the tests find the real services. Overridable, defaults match CI's machine."""
import os

PG_SERVER = os.environ.get("EMARKET_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("EMARKET_TEST_REDIS", "redis://127.0.0.1:6379")
# Two test runs at once (two engineers on one machine) must not share queues or databases:
# each sets its own vhost in EMARKET_TEST_BROKER and its own EMARKET_TEST_DB_PREFIX.
# pytest-xdist's workers (gw0, gw1, …) are such runs too: each suffixes both with its name, and
# every vhost and prefix the suite derives from them (…_auth, …_e2e) follows. Read from
# PYTEST_XDIST_WORKER, not written back to the EMARKET_TEST_ variables, so that a subprocess
# (``python -m tests.chaos``) that inherits both arrives at the same names, suffixed once.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_SUFFIX = f"_{WORKER}" if WORKER else ""
RABBIT_URL = os.environ.get("EMARKET_TEST_BROKER", "amqp://guest:guest@127.0.0.1:5672/emarket_test") + _SUFFIX
INTEGRATION_DB_PREFIX = os.environ.get("EMARKET_TEST_DB_PREFIX", "emarket_itest") + _SUFFIX


def pg_url(database: str) -> str:
    return f"{PG_SERVER}/{database}"
