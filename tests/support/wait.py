"""The one poll-until-deadline helper: wait for an outcome itself, never for a fixed time."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Timeout(AssertionError):
    pass


def wait_until(probe: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.05, what: str = "") -> T:
    """Call ``probe`` until it returns something truthy; return that. Fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise Timeout(f"gave up after {timeout}s waiting for {what or probe}: last saw {last!r}")
        time.sleep(interval)  # the poll's own pace, bounded by the deadline above
