"""What a pytest-xdist worker (``-n``) needs to run beside the others.

- Its own vhost and database prefix: tests/settings.py suffixes them with the worker's name.
- Its own Redis server: the suite's folders each take a numbered Redis database (tests/settings
  and the conftests: 5 to 15), and two workers would share one (flushed by a chaos run, rate
  limits counted together). A ``redis-server`` per worker on a free port, gone with the worker.
- A gate for the tests that restart the machine's RabbitMQ (``@pytest.mark.exclusive``): such a
  test waits until the tests running on the other workers end and holds new ones back until it
  is done, as if the suite ran alone meanwhile.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.support.http import free_port
from tests.support.wait import wait_until


def xdist_worker() -> str:
    """This process's xdist worker name (gw0, gw1, …), empty when the suite runs in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def start_redis(log_dir: Path) -> tuple[subprocess.Popen, str]:
    """A Redis server of this worker's own on a free port: the process and its URL (no database)."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "-::1", "--save", "", "--appendonly", "no",
         "--dir", str(log_dir), "--logfile", str(log_dir / f"redis-{port}.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"redis://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}; see {log_dir}")
        try:
            return redis.Redis.from_url(url, socket_timeout=1).ping()
        except redis.ConnectionError:
            return False

    wait_until(answers, timeout=30, interval=0.05, what=f"this worker's redis-server on port {port}")
    return process, url


def stop_redis(process: subprocess.Popen, url: str) -> None:
    """Shut the worker's Redis down (also when a chaos run has restarted it as a daemon)."""
    try:
        redis.Redis.from_url(url, socket_timeout=2).shutdown(nosave=True)
    except redis.RedisError:
        pass  # the server closes the connection as it goes, or is already gone
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def _lock_path(kind: str) -> Path:
    # Every worker of one run shares PYTEST_XDIST_TESTRUNUID; another run on the machine does not.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "single")
    return Path(tempfile.gettempdir()) / f"emarket-tests-{run}-{kind}.lock"


@contextmanager
def gate(exclusive: bool):
    """Held around each test of a parallel run: shared by ordinary tests, alone by an exclusive
    one. The turnstile (``gate``) makes a waiting exclusive test stop new tests from starting,
    so it is not starved by the others' stream of short tests."""
    with open(_lock_path("turnstile"), "a+") as turnstile, open(_lock_path("running"), "a+") as running:
        if exclusive:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            fcntl.flock(running, fcntl.LOCK_EX)
        else:
            fcntl.flock(turnstile, fcntl.LOCK_SH)
            fcntl.flock(running, fcntl.LOCK_SH)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(running, fcntl.LOCK_UN)
            if exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
