"""How long each fault stopped the shop: the longest time, from the fault's start, during which
no saga step completed anywhere.

A step's completion is the ``step done`` line its worker logs once the step succeeded (after
its commit): every saga step and compensation, and the top-up's steps; the periodic sweeps and
pings are left out, since they do not move an order or a top-up. A fault's window runs
from its start to SETTLE_AFTER after it is over (a killed node back, a frozen node back in the
cluster, the database answering again), and never past the moment the last user began (after it
the steps thin out by themselves): the longest gap between two completions in it (the fault's
start counting as the first) is its stall. No worker is SIGKILLed in a window (cluster_faults).
"""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path

from tests.chaos.cluster_faults import SETTLE_AFTER

NOT_STEPS = {"saga.ping", "saga.cancel_overdue", "saga.resume_stuck", "money_add.sweep",
             "saga.forget_idempotency_keys", "saga.audit"}


def step_times(log_dir: Path, since: datetime) -> list[datetime]:
    """When each step succeeded, from the workers' JSON logs (``worker-*.log``), in order."""
    found = []
    for log in log_dir.glob("worker-*.log"):
        with open(log, errors="replace") as lines:
            for line in lines:
                if '"step done"' not in line or '"success"' not in line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("outcome") == "success" and entry.get("task") not in NOT_STEPS:
                    at = datetime.fromisoformat(entry["ts"].replace("Z", "+00:00"))
                    if at >= since:
                        found.append(at)
    return sorted(found)


def gaps(began: datetime, until: datetime, times: list[datetime]) -> list[tuple[float, float]]:
    """Every stretch in [began, until] without a time of ``times``: (seconds, seconds from
    ``began`` to its start), longest first."""
    points = [began, *(t for t in times if began < t <= until)]
    if points[-1] < until:
        points.append(until)
    found = [((b - a).total_seconds(), (a - began).total_seconds()) for a, b in itertools.pairwise(points)]
    return sorted(found, reverse=True)


def longest_gap(began: datetime, until: datetime, times: list[datetime]) -> float:
    """The longest stretch in [began, until] without a time of ``times`` (seconds)."""
    found = gaps(began, until, times)
    return found[0][0] if found else 0.0


def _until(windows: list, n: int, times: list[datetime], load_ended: datetime) -> datetime:
    window = windows[n]
    end = window.ended + timedelta(seconds=SETTLE_AFTER) if window.ended else (times[-1] if times else window.began)
    if n + 1 < len(windows):
        end = min(end, windows[n + 1].began)
    return max(window.began, min(end, load_ended))


def where(windows: list, times: list[datetime], load_ended: datetime, top: int = 3) -> dict[str, list[str]]:
    """fault kind → its longest stretches without a step, as "8.1 s from +2.3 s", for the report."""
    return {w.kind: [f"{g:.1f} s from +{at:.1f} s" for g, at in gaps(w.began, _until(windows, n, times, load_ended),
                                                                      times)[:top]]
            for n, w in enumerate(windows)}


def stalls(windows: list, times: list[datetime], load_ended: datetime) -> dict[str, float]:
    """fault kind → its stall in seconds, for faults in the order they happened."""
    found: dict[str, float] = {}
    if not times:
        return {w.kind: float("inf") for w in windows}
    for n, window in enumerate(windows):
        gap = longest_gap(window.began, _until(windows, n, times, load_ended), times)
        found[window.kind] = max(gap, found.get(window.kind, 0.0))
    return found


def line(found: dict[str, float]) -> str:
    """``stalls (s): node killed 3.2, node frozen 11.0, postgres restarted 4.1``"""
    return "stalls (s): " + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in found.items())


def beyond_bounds(found: dict[str, float], bounds: dict[str, float]) -> list[str]:
    problems = [f"{kind}: no saga step for {found[kind]:.1f} s (bound {bound:.0f} s)"
                for kind, bound in bounds.items() if kind in found and found[kind] > bound]
    problems += [f"{kind}: the fault never happened" for kind in bounds if kind not in found]
    return problems
