"""Real ``celery worker`` processes for integration tests: started, awaited, killed, restarted."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from celeryconfig import QUEUES
from tests.support import process_group
from tests.support.wait import wait_until

ALL_QUEUES = QUEUES  # every service queue, as celeryconfig declares them


class Worker:
    def __init__(self, app, log_dir: Path, queues=ALL_QUEUES, concurrency: int = 2, env: dict | None = None):
        self.app = app
        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.queues = queues
        self.concurrency = concurrency
        self.env = {**os.environ, **(env or {})}
        self.log_path = Path(log_dir) / f"{self.name.split('@')[0]}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Worker:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "worker", "-Q", ",".join(self.queues),
             "-c", str(self.concurrency), "-n", self.name, "--without-gossip", "--without-mingle",
             "-l", "INFO"],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
        )
        try:
            wait_until(self._answers_ping, timeout=timeout, interval=0.2, what=f"worker {self.name} to answer ping")
        except BaseException:
            self.kill()  # never leave a worker behind that a later test's messages could reach
            raise
        return self

    def _answers_ping(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"worker exited with {self.process.returncode}; see {self.log_path}")
        return bool(self.app.control.ping(destination=[self.name], timeout=0.5))

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        process_group.kill(self.process)

    def stop(self, timeout: float = 20.0) -> None:
        process_group.stop(self.process, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
