"""Which of a saga's Celery tasks Flower can show. Flower knows only the tasks it has seen since
it started: a link to an older one answers 404 "Unknown task". The console asks Flower's API
(``/api/task/info/<id>``) and links only the tasks it knows; when Flower cannot be asked (not
running, or not reachable from the shop), the links stay, since nothing says they are wrong.
Answers are cached: a known task stays known, an unknown one is asked again after a while."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable

import requests

from emarket.config import settings

ASK_TIMEOUT = 0.5  # seconds for one question; the page must not wait on Flower
FORGET_UNKNOWN_AFTER = 30.0
_known: set[str] = set()
_unknown: dict[str, float] = {}
_silent_until: dict[str, float] = {}  # Flower (by URL) did not answer: not asked again before then
_lock = threading.Lock()
MAX_REMEMBERED = 10_000


def _ask(session: requests.Session, base: str, task_id: str) -> bool | None:
    try:
        response = session.get(f"{base}/api/task/info/{task_id}", timeout=ASK_TIMEOUT)
    except requests.RequestException:
        return None
    if response.status_code == 200:
        return True
    return False if response.status_code == 404 else None


def unknown_tasks(task_ids: Iterable[str]) -> set[str]:
    """The ids among ``task_ids`` that Flower answered it does not know."""
    task_ids = [t for t in task_ids if t]
    now, base = time.monotonic(), settings().flower_public_url.rstrip("/")
    with _lock:
        if now < _silent_until.get(base, 0.0):
            return set()
        if len(_known) > MAX_REMEMBERED:
            _known.clear()
        to_ask = [t for t in dict.fromkeys(task_ids) if t not in _known
                  and now - _unknown.get(t, -FORGET_UNKNOWN_AFTER) >= FORGET_UNKNOWN_AFTER]
        unknown = {t for t, at in _unknown.items() if now - at < FORGET_UNKNOWN_AFTER}
    with requests.Session() as session:
        for task_id in to_ask:
            known = _ask(session, base, task_id)
            if known is None:  # Flower is not answering: link as before, ask again later
                _silent_until[base] = now + FORGET_UNKNOWN_AFTER
                break
            with _lock:
                if known:
                    _known.add(task_id)
                else:
                    _unknown[task_id] = now
                    unknown.add(task_id)
    return unknown & set(task_ids)
