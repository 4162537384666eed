"""One of our Flask services as a real HTTP server: gunicorn in a subprocess on a free port,
with the test's environment, awaited until it answers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from emarket.config import PROJECT_ROOT
from tests.support import process_group
from tests.support.http import free_port
from tests.support.wait import wait_until


class AppServer:
    def __init__(self, factory: str, log_dir: Path, env: dict | None = None, port: int | None = None,
                 probe: str = "/health/live", workers: int = 2):
        self.factory = factory  # e.g. "web.shop:create_app()"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.probe = probe
        self.workers = workers
        self.log_path = Path(log_dir) / f"{factory.split(':')[0]}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> AppServer:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers),
             "--threads", "4", "--timeout", "60", self.factory],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=PROJECT_ROOT, start_new_session=True)
        wait_until(self._answers, timeout=timeout, interval=0.1, what=f"{self.factory} on port {self.port}")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.factory} exited with {self.process.returncode}; see {self.log_path}")
        try:
            return requests.get(self.url + self.probe, timeout=1).status_code < 500  # any answer: serving
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        process_group.stop(self.process, timeout)
