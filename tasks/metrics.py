"""The saga's figures, counted by whichever process moved the saga and read by the shop's
``/metrics``.

Workers run in other processes and, in compose, other containers, so they cannot share a
prometheus multiprocess folder with the shop. The counts live in Redis instead (``redis_url``):
two hashes, bumped with HINCRBY by the process that made the transition, right after its
transaction committed and only when the compare-and-set really moved something (a redelivered
no-op counts nothing); the steps' latencies are added up in the process and sent once a
second (``step_observed``). The shop exposes them through ``SagaCollector``; any number of workers,
anywhere, add to the same figures, and worker restarts lose nothing.

Counting is best effort: Redis down never fails a step (the step matters, the figure does
not), and a crash between commit and HINCRBY loses that one count (a crash loses up to a
second of step latencies).
"""
from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import redis

from emarket import audit, audit_report
from emarket.config import settings
from emarket.redis_client import redis_client

if TYPE_CHECKING:  # imported at run time only where used: see the lazy imports below
    from prometheus_client.core import HistogramMetricFamily, Metric

log = logging.getLogger(__name__)

COUNTERS, STEP_SECONDS = "counters", "step_buckets"  # hashes under settings().metrics_prefix
# (step_buckets: a count per bucket, not cumulative; "step_seconds", cumulative, is no longer written)
# Latency buckets of a saga step, seconds: a step is one local transaction, or a bank call.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SEP = "|"


def _redis() -> redis.Redis:
    return redis_client(timeout=1)


def _key(name: str) -> str:
    return f"{settings().metrics_prefix}:{name}"


def _bump(*fields: str) -> None:
    try:
        pipe = _redis().pipeline(transaction=False)
        for field in fields:
            pipe.hincrby(_key(COUNTERS), field, 1)
        pipe.execute()
    except redis.RedisError:
        log.warning("saga metrics not counted (Redis unavailable)", extra={"metric_fields": list(fields)})


# --- what the tasks call, after their transaction committed ---------------------------------

def saga_started() -> None:
    _bump("sagas_started")


def saga_completed() -> None:
    _bump("sagas_completed")


def saga_cancelled(reason: str) -> None:
    _bump(f"sagas_cancelled{_SEP}{reason}")


def compensation_ran(step: str) -> None:
    _bump(f"compensations{_SEP}{step}")


def topup_moved(status: str) -> None:
    """A top-up entered ``status`` (counted once per top-up and status)."""
    _bump(f"topups{_SEP}{status}")


def step_observed(step: str, seconds: float) -> None:
    """One run of a saga step took ``seconds``: one count in the bucket it falls in (the
    histogram's cumulative counts are summed when ``/metrics`` reads them), the count and the
    sum. Kept in this process and sent at most ``FLUSH_SECONDS`` later, all steps' figures in
    one pipeline: this runs after every task, and a round trip to Redis per task is one more
    wait beside the step's own statement (bench/history/05-issue-14-pass-4.md)."""
    bucket = next((str(bound) for bound in BUCKETS if seconds <= bound), "+Inf")
    _latencies.add(step, bucket, seconds)


def flush() -> None:
    """Send the step figures this process holds now (also at a worker process's shutdown)."""
    _latencies.flush()


FLUSH_SECONDS = 1.0


class _StepLatencies:
    """Step latencies added up in this process and flushed by a timer thread, so figures
    reach Redis within ``FLUSH_SECONDS`` of the step even when no other step follows. A crash
    loses at most that second's figures (counting is best effort, above)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._counts: dict[str, int] = {}
        self._sums: dict[str, float] = {}
        self._timer: threading.Timer | None = None

    def add(self, step: str, bucket: str, seconds: float) -> None:
        with self._lock:
            for field in (f"{step}{_SEP}{bucket}", f"{step}{_SEP}count"):
                self._counts[field] = self._counts.get(field, 0) + 1
            field = f"{step}{_SEP}sum"
            self._sums[field] = self._sums.get(field, 0.0) + seconds
            if self._timer is None:
                # The timer's thread sends with the settings in force here (emarket.config: an
                # app's own, a test's), not with an empty context's.
                self._timer = threading.Timer(FLUSH_SECONDS, contextvars.copy_context().run, args=(self.flush,))
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            counts, sums, timer = self._counts, self._sums, self._timer
            self._reset()
        if timer is not None:
            timer.cancel()  # a flush called directly: the timer has nothing left to send
        if not counts:
            return
        try:
            pipe = _redis().pipeline(transaction=False)
            for field, count in counts.items():
                pipe.hincrby(_key(STEP_SECONDS), field, count)
            for field, total in sums.items():
                pipe.hincrbyfloat(_key(STEP_SECONDS), field, total)
            pipe.execute()
        except redis.RedisError:
            log.warning("saga step latencies not recorded (Redis unavailable)", extra={"steps": sorted(sums)})

    def forget_after_fork(self) -> None:
        """In a forked child: the parent's lock and timer thread are not the child's."""
        self._lock = threading.Lock()
        self._reset()


_latencies = _StepLatencies()
os.register_at_fork(after_in_child=_latencies.forget_after_fork)


# --- what the shop's /metrics reads ---------------------------------------------------------

def _text(field: bytes | str) -> str:
    # The client is built without decode_responses (it reads bytes); its types allow both.
    return field.decode() if isinstance(field, bytes) else field


def read() -> tuple[dict[str, int], dict[str, float]]:
    client = _redis()
    counters = {_text(k): int(v) for k, v in client.hgetall(_key(COUNTERS)).items()}
    steps = {_text(k): float(v) for k, v in client.hgetall(_key(STEP_SECONDS)).items()}
    return counters, steps


class SagaCollector:
    """A prometheus-client collector over the Redis figures (registered per scrape)."""

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        try:
            counters, steps = read()
        except redis.RedisError as error:
            log.warning("saga metrics unavailable: %s", error)
            return
        started = CounterMetricFamily("emarket_sagas_started", "Order sagas started (orders accepted)")
        started.add_metric([], counters.get("sagas_started", 0))
        completed = CounterMetricFamily("emarket_sagas_completed", "Order sagas that ended completed")
        completed.add_metric([], counters.get("sagas_completed", 0))
        cancelled = CounterMetricFamily("emarket_sagas_cancelled", "Order sagas that ended cancelled, by reason",
                                        labels=["reason"])
        compensations = CounterMetricFamily("emarket_compensations", "Compensating steps that undid something",
                                            labels=["step"])
        topups = CounterMetricFamily("emarket_topups", "Top-ups that entered each status", labels=["status"])
        by_prefix = {"sagas_cancelled": cancelled, "compensations": compensations, "topups": topups}
        for field, value in sorted(counters.items()):
            prefix, _, label = field.partition(_SEP)
            if prefix in by_prefix and label:
                by_prefix[prefix].add_metric([label], value)
        yield from (started, completed, cancelled, compensations, topups)
        yield _step_histogram(steps, HistogramMetricFamily)
        yield from _audit_gauges()


def _audit_gauges() -> Iterator[Metric]:
    """The last audit of the books (``saga.audit``): its findings by kind, and when it ran."""
    from prometheus_client.core import GaugeMetricFamily

    report = audit_report.last()
    if report is None:
        return
    findings = GaugeMetricFamily("emarket_audit_findings", "Findings of the last audit of the books, by kind",
                                 labels=["kind"])
    for kind in audit.KINDS:
        findings.add_metric([kind], report["by_kind"].get(kind, 0))
    ran = GaugeMetricFamily("emarket_audit_last_run_timestamp_seconds", "When the last audit of the books ran")
    ran.add_metric([], datetime.fromisoformat(report["at"]).timestamp())
    yield from (findings, ran)


def _step_histogram(steps: dict[str, float], family_type: type[HistogramMetricFamily]) -> HistogramMetricFamily:
    family = family_type("emarket_saga_step_seconds", "Run time of one saga step (one task run), by step",
                         labels=["step"])
    names = sorted({field.split(_SEP)[0] for field in steps})
    for name in names:
        buckets: list[tuple[str, float]] = []
        below = 0.0
        for bound in BUCKETS:  # each field counts the runs in its bucket only: cumulate
            below += steps.get(f"{name}{_SEP}{bound}", 0.0)
            buckets.append((str(bound), below))
        buckets.append(("+Inf", steps.get(f"{name}{_SEP}count", 0.0)))
        family.add_metric([name], buckets, steps.get(f"{name}{_SEP}sum", 0.0))
    return family
