"""What a pytest-xdist worker (``-n``) needs to run beside the others.

- Its own vhost and database prefix: tests/settings.py suffixes them with the worker's name.
- Its own Redis server: the suite's folders each take a numbered Redis database (tests/settings
  and the conftests: 5 to 15), and two workers would share one (flushed by a test, rate limits
  counted together). A ``redis-server`` per worker on a free port (tests/support/redis_server.py),
  gone with the worker.
- A place among the few heavy tests that may run at once (tests/conftest.py's ``HEAVY``).

No test needs the machine to itself: those that stop a broker or a Redis stop servers of their
own (the chaos runs, the cluster tests), never the machine's.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


def xdist_worker() -> str:
    """This process's xdist worker name (gw0, gw1, …), empty when the suite runs in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def _lock_path(name: str) -> Path:
    # Every worker of one run shares PYTEST_XDIST_TESTRUNUID; another run on the machine does not.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "single")
    return Path(tempfile.gettempdir()) / f"emarket-tests-{run}-{name}.lock"


@contextmanager
def heavy_slot(places: int) -> Iterator[None]:
    """Held while a heavy test runs: one of ``places`` file locks shared by the run's workers.
    A free one is taken at once; with none free, this worker waits on the place its number
    gives it (the kernel wakes it when that place is let go)."""
    with ExitStack() as stack:
        locks = [stack.enter_context(open(_lock_path(f"heavy-{n}"), "a+")) for n in range(places)]
        for lock in locks:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                continue
        else:
            fcntl.flock(locks[int(xdist_worker().removeprefix("gw") or 0) % places], fcntl.LOCK_EX)
        yield  # closing the files lets the place go
