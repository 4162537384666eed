"""How long each fault stopped the shop: the longest time, from the fault's start, during which
no saga step completed anywhere.

A step's completion is its saga event (every step records one in the same statement or
transaction as its work; ``task_id`` names the Celery task that ran it). A fault's window runs
from its start to the start of the next fault, or to the run's last step, and never past the
moment the last user began (after it the steps thin out by themselves): the longest gap between
two completions in it (the fault's start counting as the first) is its stall.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from db.engine import get_engine


def step_times(emarket_url: str, since: datetime) -> list[datetime]:
    with get_engine(emarket_url).connect() as conn:
        rows = conn.execute(text("SELECT at FROM saga_event WHERE task_id IS NOT NULL AND at >= :since ORDER BY at"),
                            {"since": since})
        return [at for (at,) in rows]


def gaps(began: datetime, until: datetime, times: list[datetime]) -> list[tuple[float, float]]:
    """Every stretch in [began, until] without a time of ``times``: (seconds, seconds from
    ``began`` to its start), longest first."""
    points = [began, *(t for t in times if began < t <= until)]
    if points[-1] < until:
        points.append(until)
    found = [((b - a).total_seconds(), (a - began).total_seconds()) for a, b in zip(points, points[1:])]
    return sorted(found, reverse=True)


def longest_gap(began: datetime, until: datetime, times: list[datetime]) -> float:
    """The longest stretch in [began, until] without a time of ``times`` (seconds)."""
    found = gaps(began, until, times)
    return found[0][0] if found else 0.0


def _until(windows: list, n: int, times: list[datetime], load_ended: datetime) -> datetime:
    end = windows[n + 1].began if n + 1 < len(windows) else (times[-1] if times else windows[n].began)
    return max(windows[n].began, min(end, load_ended))


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
