"""Test-wide wiring: every test runs against real databases; settings come from the environment
exactly as in production, pointed at throw-away databases."""
from __future__ import annotations

import os

import pytest

from tests.settings import RABBIT_URL, REDIS_SERVER

# Before anything reads the settings: the suite's own broker vhost, Redis databases and clock.
os.environ.setdefault("EMARKET_BROKER_URL", RABBIT_URL)
os.environ.setdefault("EMARKET_RESULT_BACKEND", f"{REDIS_SERVER}/5")
os.environ.setdefault("EMARKET_REDIS_URL", f"{REDIS_SERVER}/6")
# A short clock: an order a test leaves awaiting payment is cancelled within a minute. Its
# countdown waits in RabbitMQ, not in a worker (docs/payment-clock.md), so a worker restart takes
# nothing back whatever the clock.
os.environ.setdefault("EMARKET_PAYMENT_TIMEOUT", "60")


# The marks of whole folders (tests/<folder>/…), set in one place: ``-m "not integration"`` skips
# what needs the broker and workers. (No mark for PostgreSQL: nearly every folder needs it.)
FOLDER_MARKS = {"integration": "integration", "fuzz": "integration", "cluster": "integration"}


def pytest_collection_modifyitems(items):
    for item in items:
        parts = item.path.relative_to(item.config.rootpath).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in FOLDER_MARKS:
            item.add_marker(getattr(pytest.mark, FOLDER_MARKS[parts[1]]))


# Every service verifies tokens with the suite's public key; tests mint with its private key.
from tests.support.tokens import ensure_test_keys  # noqa: E402 — once the suite's environment is set above

ensure_test_keys()

# The Celery app reads its broker from the settings once (celeryconfig, loaded lazily on first
# use): load it now, while the environment holds the suite's own broker, not whatever a
# package's fixture has set when something first touches it.
import tasks  # noqa: E402 — see the comment above

assert tasks.app.conf.broker_url == os.environ["EMARKET_BROKER_URL"]
