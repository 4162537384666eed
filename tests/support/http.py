"""Free ports and waiting for an HTTP service to answer."""
from __future__ import annotations

import itertools
import os
import random
import socket

import requests

from tests.support.wait import wait_until

# The servers the tests start listen on ports below the kernel's ephemeral range (where
# ``bind(port 0)`` and every outgoing connection take theirs: a port found free that way can be
# some connection's source port, or another xdist worker's find, before our server binds it), each
# xdist worker in a slice of its own: two workers never hand out the same port.
FIRST_PORT, SLICE = 20_000, 2_000
_handed_out = itertools.count(random.randrange(SLICE))


def _slice_start() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    return FIRST_PORT + (index % 6) * SLICE  # six slices: 20000-31999, below 32768


def free_port() -> int:
    """A port nothing listens on now, not handed out by this process lately, in this worker's slice."""
    start = _slice_start()
    for _ in range(SLICE):
        port = start + next(_handed_out) % SLICE
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken: the next one
            return port
    raise RuntimeError(f"no free port in {start}-{start + SLICE - 1}")


def wait_http(url: str, timeout: float = 60.0, status: int = 200) -> None:
    def answers() -> bool:
        try:
            return requests.get(url, timeout=2).status_code == status
        except requests.RequestException:
            return False

    wait_until(answers, timeout=timeout, interval=0.2, what=f"{url} to answer {status}")
