"""``saga.audit`` (beat, every ``EMARKET_AUDIT_INTERVAL`` seconds, on the choreographer's queue):
the books' audit (``emarket.audit``), the repair of what can be repaired safely — a cancelled
order with an unrefunded debit or a held reservation gets its phase-2 compensation again
(refund, release, and a cancel that finds it cancelled), the very steps a failure sends — and
the report kept for ``/metrics`` and ``/admin/sagas``."""
from __future__ import annotations

import logging

from emarket import audit, audit_report
from emarket import order as orders
from emarket.config import settings
from emarket.storage import unit_of_work
from tasks.celery_app import app
from tasks.compensation import PHASE2, compensation
from tasks.step import SagaStep

log = logging.getLogger(__name__)


@app.task(base=SagaStep, name="saga.audit")
def audit_books(repair: bool = True) -> int:
    """Audit, repair (unless ``repair`` is false), keep the report. Returns the findings' number."""
    findings = audit.audit(grace_seconds=settings().saga_stuck_after)
    to_compensate = sorted({f.compensate_order for f in findings if f.compensate_order}) if repair else []
    for order_id in to_compensate:
        with unit_of_work("emarket") as uow:
            ctx = orders.context_of(uow, order_id)
            reason = orders.reason_of(uow, order_id)
        compensation(ctx, reason, PHASE2).apply_async()
    for finding in findings:
        log.warning("audit finding", extra={"finding": finding.kind, "subject": finding.subject, "detail": finding.detail})
    audit_report.save(findings, repaired=len(to_compensate))
    return len(findings)
