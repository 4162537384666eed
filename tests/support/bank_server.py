"""The bank as a real HTTP service for integration tests: ``gunicorn 'web.bank:create_app()'``
in a subprocess on a free port, with the test's environment, awaited until it answers."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from emarket.config import PROJECT_ROOT
from tests.support.wait import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BankServer:
    def __init__(self, log_dir: Path, env: dict | None = None, port: int | None = None, workers: int = 2):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The bank writes confirm_url from its public URL: in tests that is this very server.
        self.env = {**os.environ, "EMARKET_BANK_PUBLIC_URL": self.url, **(env or {})}
        self.workers = workers
        self.log_path = Path(log_dir) / f"bank-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "BankServer":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers),
             "--timeout", "30", "web.bank:create_app()"],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=PROJECT_ROOT, start_new_session=True,
        )
        wait_until(self._answers, timeout=timeout, interval=0.1, what=f"the bank on port {self.port}")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the bank exited with {self.process.returncode}; see {self.log_path}")
        try:
            # Any answer of the API (a 401 without a key) means the app is up and serving.
            return requests.get(f"{self.url}/bank/holds/probe", timeout=1).status_code == 401
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        if not self.process or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> "BankServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
