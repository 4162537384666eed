"""The last audit's report, kept in Redis (``EMARKET_REDIS_URL``) by whichever worker ran it, for
the shop's ``/metrics`` (``emarket_audit_findings``) and the operators' console: the time it
ran, the findings counted by kind, and the first lines. Best effort, like the saga's figures:
Redis down loses a report, never an audit."""
from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import redis

from db.base import utcnow
from emarket.audit import Finding
from emarket.config import settings
from emarket.redis_client import redis_client

log = logging.getLogger(__name__)
KEPT_LINES = 50


def _key() -> str:
    return f"{settings().metrics_prefix}:audit"


def save(findings: list[Finding], repaired: int) -> None:
    report = {"at": utcnow().isoformat(), "total": len(findings), "repaired": repaired,
              "by_kind": dict(Counter(f.kind for f in findings)), "lines": [f.line() for f in findings[:KEPT_LINES]]}
    try:
        redis_client(timeout=1).set(_key(), json.dumps(report))
    except redis.RedisError:
        log.warning("audit report not kept (Redis unavailable)", extra={"findings": len(findings)})


def last() -> dict[str, Any] | None:
    """The last report (``at``, ``total``, ``repaired``, ``by_kind``, ``lines``), None if none yet
    or Redis is unavailable."""
    try:
        raw = redis_client(timeout=1).get(_key())
    except redis.RedisError:
        return None
    return json.loads(raw) if raw else None
