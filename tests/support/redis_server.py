"""A ``redis-server`` of the tests' own: on a free port, its folder for its log, no persistence;
the machine's Redis on 6379 is never the one a test stops. An xdist worker runs one (its numbered
databases are then its own); a chaos run runs one and shuts it down without saving mid-run."""
from __future__ import annotations

import subprocess
from pathlib import Path

import redis

from tests.support.http import free_port
from tests.support.wait import wait_until


class RedisServer:
    def __init__(self, folder: Path, port: int | None = None):
        self.folder, self.port = folder, port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}"  # no database: callers add theirs
        self.process: subprocess.Popen | None = None

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self) -> RedisServer:
        """Started (again, on the same port and folder, after ``shutdown``); returns once it answers."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "-::1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--logfile", str(self.folder / f"redis-{self.port}.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        process = self.process

        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {process.returncode}; see {self.folder}")
            return self.answers()

        wait_until(up, timeout=30, interval=0.05, what=f"redis-server on port {self.port}")
        return self

    def shutdown(self) -> None:
        """``SHUTDOWN NOSAVE``: every key lost, as a crash loses them; returns once it is gone."""
        try:
            redis.Redis.from_url(self.url, socket_timeout=2).shutdown(nosave=True)
        except redis.RedisError:
            pass  # the server closes the connection as it goes, or is already gone
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
