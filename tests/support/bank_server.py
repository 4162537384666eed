"""The bank as a real HTTP service for integration tests: ``gunicorn 'web.bank:create_app()'``
in a subprocess on a free port, with the test's environment, awaited until it answers."""
from __future__ import annotations

from pathlib import Path

from tests.support.app_server import AppServer
from tests.support.http import free_port


class BankServer(AppServer):
    def __init__(self, log_dir: Path, env: dict | None = None, port: int | None = None, workers: int = 2):
        port = port or free_port()
        url = f"http://127.0.0.1:{port}"
        # The bank writes confirm_url from its public URL: in tests that is this very server.
        # Any answer of its API (a 401 without a key) means the app is up and serving.
        super().__init__("web.bank:create_app()", log_dir, env={"EMARKET_BANK_PUBLIC_URL": url, **(env or {})},
                         port=port, probe="/bank/holds/probe", workers=workers)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> BankServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
