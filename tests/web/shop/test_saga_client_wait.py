"""``?wait=`` waits for phase 1 on an exponential poll with a deadline, never a fixed sleep: the
first read at once, then pauses from 5 ms doubling to at most 100 ms, the last cut to the deadline.
A fake clock stands in for time: nothing here waits."""
from __future__ import annotations

import pytest

from emarket.order_status import AWAITING_PAYMENT, CANCELLED, PROCESSING
from web.shop import saga_client


class FakeClock:
    def __init__(self):
        self.now, self.pauses = 0.0, []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(saga_client, "time", fake)  # the client's own clock only: other threads keep theirs
    return fake


def statuses(monkeypatch, *seen: str) -> list[str]:
    """The order reads ``seen`` in turn, then the last of them for ever."""
    reads: list[str] = []

    def read(order_id: str) -> str:
        reads.append(order_id)
        return seen[min(len(reads), len(seen)) - 1]

    monkeypatch.setattr(saga_client, "order_status", read)
    return reads


@pytest.mark.parametrize("settled", [AWAITING_PAYMENT, CANCELLED])
def test_a_settled_order_is_answered_at_once(clock, monkeypatch, settled):
    reads = statuses(monkeypatch, settled)
    saga_client.wait_for_phase1("o-1", 30)
    assert reads == ["o-1"] and clock.pauses == []


def test_the_pauses_double_from_5_ms_to_at_most_100_ms(clock, monkeypatch):
    reads = statuses(monkeypatch, *[PROCESSING] * 8, AWAITING_PAYMENT)
    saga_client.wait_for_phase1("o-1", 30)
    assert clock.pauses == [0.005, 0.01, 0.02, 0.04, 0.08, 0.1, 0.1, 0.1]
    assert len(reads) == 9


def test_the_wait_ends_at_its_deadline_not_after(clock, monkeypatch):
    reads = statuses(monkeypatch, PROCESSING)
    saga_client.wait_for_phase1("o-1", 1.0)
    assert clock.now == pytest.approx(1.0)
    assert max(clock.pauses) <= 0.1 and len(reads) < 20  # about 13 reads for a second, not 50


def test_no_wait_reads_once(clock, monkeypatch):
    reads = statuses(monkeypatch, PROCESSING)
    saga_client.wait_for_phase1("o-1", 0)
    assert len(reads) == 1 and clock.pauses == []
