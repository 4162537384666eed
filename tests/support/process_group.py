"""Stopping a process we started in its own process group (``start_new_session=True``): the
gentle way first, the hard way if it does not end in time. One helper for every test server,
worker and bench node, so each stops the same way."""
from __future__ import annotations

import os
import signal
import subprocess


def kill(process: subprocess.Popen | None) -> None:
    """SIGKILL the whole group (main process and pool children), as a crash would."""
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def stop(process: subprocess.Popen | None, timeout: float, *, main_only: bool = False) -> None:
    """SIGTERM (to the group, or with ``main_only`` to the main process alone, which then stops
    its pool warmly), then SIGKILL to the group after ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    if main_only:
        os.kill(process.pid, signal.SIGTERM)
    else:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(process)
