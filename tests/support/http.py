"""Free ports and waiting for an HTTP service to answer."""
from __future__ import annotations

import socket

import requests

from tests.support.wait import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0, status: int = 200) -> None:
    def answers() -> bool:
        try:
            return requests.get(url, timeout=2).status_code == status
        except requests.RequestException:
            return False

    wait_until(answers, timeout=timeout, interval=0.2, what=f"{url} to answer {status}")
