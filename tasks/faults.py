"""Fault injection for the crash tests and the chaos runner; inert unless its variables are set.

Read through the settings (``fault_*``, emarket/config.py).
``EMARKET_FAULT_CRASH_AFTER=<task name>``: the first run of that step exits the process right
after its transaction committed and before the next message is sent.
``EMARKET_FAULT_HANG_IN=<task name>``: the first run of that step blocks mid-step, after its
statements and before its transaction commits (until the process is killed); in a step whose
statements commit alone (``unit_of_work(..., autocommit=True)``) they have committed by then. Both fire once per marker file ``EMARKET_FAULT_MARKER``, which
they create, so a restarted worker carries on normally.
"""
from __future__ import annotations

import os
import threading

from emarket.config import settings


def _fires(armed_for: str, name: str) -> bool:
    if armed_for != name:
        return False
    marker = settings().fault_marker
    if not marker:
        return False
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def after_commit(name: str) -> None:
    if _fires(settings().fault_crash_after, name):
        os._exit(137)


def in_transaction(name: str) -> None:
    if _fires(settings().fault_hang_in, name):
        threading.Event().wait()
