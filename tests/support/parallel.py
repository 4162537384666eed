"""What a pytest-xdist worker (``-n``) needs to run beside the others.

- Its own vhost and database prefix: tests/settings.py suffixes them with the worker's name.
- Its own Redis server: the suite's folders each take a numbered Redis database (tests/settings
  and the conftests: 5 to 15), and two workers would share one (flushed by a test, rate limits
  counted together). A ``redis-server`` per worker on a free port (tests/support/redis_server.py),
  gone with the worker.

No test needs the machine to itself: those that stop a broker or a Redis stop servers of their
own (the chaos runs, the cluster tests), never the machine's.
"""
from __future__ import annotations

import os


def xdist_worker() -> str:
    """This process's xdist worker name (gw0, gw1, …), empty when the suite runs in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")
