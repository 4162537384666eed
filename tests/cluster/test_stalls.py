"""How a cluster run turns step times and fault windows into its ``stalls (s):`` line."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.chaos.cluster_faults import FaultWindow
from tests.chaos.stalls import beyond_bounds, gaps, line, longest_gap, stalls

T0 = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_longest_gap_counts_from_the_fault_start_and_to_the_window_end():
    times = [at(s) for s in (-3, 1.5, 2.0, 2.5, 9.0, 9.5)]
    assert longest_gap(at(0), at(10), times) == 6.5  # 2.5 → 9.0
    assert gaps(at(0), at(10), times)[0] == (6.5, 2.5)  # and where it began
    assert longest_gap(at(0), at(20), times) == 10.5  # 9.5 → the window's end: steps stopped
    assert longest_gap(at(0), at(10), []) == 10.0  # nothing completed at all


def test_each_fault_is_measured_until_the_next_one_and_never_after_the_load_ended():
    times = [at(s) for s in (0.5, 1.0, 4.0, 20.0, 21.0, 30.0, 31.0, 60.0)]
    windows = [FaultWindow("node killed", at(0)), FaultWindow("node frozen", at(20)),
               FaultWindow("postgres restarted", at(30))]
    found = stalls(windows, times, load_ended=at(40))
    assert found == {"node killed": 16.0, "node frozen": 9.0, "postgres restarted": 9.0}
    # Without the load's end, the last fault would be blamed for the tail where nobody ordered.
    assert stalls(windows, times, load_ended=at(100))["postgres restarted"] == 29.0


def test_the_line_and_the_bounds():
    found = {"node killed": 3.24, "node frozen": 16.0, "postgres restarted": 4.1}
    assert line(found) == "stalls (s): node killed 3.2, node frozen 16.0, postgres restarted 4.1"
    bounds = {"node killed": 5.0, "node frozen": 15.0, "postgres restarted": 10.0}
    assert beyond_bounds(found, bounds) == ["node frozen: no saga step for 16.0 s (bound 15 s)"]
    assert beyond_bounds({"node killed": 1.0}, bounds) == ["node frozen: the fault never happened",
                                                            "postgres restarted: the fault never happened"]


def test_a_window_ends_shortly_after_its_fault_is_over():
    # The node was back at +12 s: the window runs 10 s on (SETTLE_AFTER), not to the next fault.
    times = [at(s) for s in (1.0, 2.0, 11.0, 40.0)]
    windows = [FaultWindow("node killed", at(0), ended=at(12)), FaultWindow("node frozen", at(60))]
    assert stalls(windows, times, load_ended=at(100))["node killed"] == 11.0  # 11 → 22, not 11 → 40
