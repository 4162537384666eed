"""Every countdown is whole seconds, at least one: native delayed delivery refuses less and
cuts fractions (tasks.countdown)."""
from datetime import UTC, datetime, timedelta

from tasks.countdown import until, whole_seconds
from tasks.topup import poll_delay
from tests.support.env import overridden_env


def test_whole_seconds_rounds_up_and_never_goes_below_one():
    assert whole_seconds(0) == 1
    assert whole_seconds(0.4) == 1
    assert whole_seconds(-3) == 1
    assert whole_seconds(1.0) == 1
    assert whole_seconds(1.01) == 2
    assert whole_seconds(300) == 300


def test_until_never_ends_before_the_moment():
    moment = datetime.now(UTC) + timedelta(seconds=299.2)
    assert until(moment) == 300
    # A naive datetime is read as UTC.
    assert until(moment.replace(tzinfo=None)) == 300
    assert until(datetime.now(UTC) - timedelta(seconds=5)) == 1


def test_topup_polls_wait_whole_seconds():
    with overridden_env({"EMARKET_TOPUP_POLL_INTERVAL": "0.2", "EMARKET_TOPUP_POLL_MAX": "3"}):
        delays = [poll_delay(n) for n in range(6) for _ in range(20)]
    assert all(isinstance(d, int) and 1 <= d <= 3 for d in delays)
