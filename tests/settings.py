"""Where the tests find the real services. Overridable, defaults match CI's machine."""
import os

PG_SERVER = os.environ.get("EMARKET_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")
RABBIT_URL = os.environ.get("EMARKET_TEST_BROKER", "amqp://guest:guest@127.0.0.1:5672/emarket_test")
REDIS_SERVER = os.environ.get("EMARKET_TEST_REDIS", "redis://127.0.0.1:6379")
# Two test runs at once (two engineers on one machine) must not share queues or databases:
# each sets its own vhost in EMARKET_TEST_BROKER and its own EMARKET_TEST_DB_PREFIX.
INTEGRATION_DB_PREFIX = os.environ.get("EMARKET_TEST_DB_PREFIX", "emarket_itest")


def pg_url(database: str) -> str:
    return f"{PG_SERVER}/{database}"
