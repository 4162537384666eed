"""Test-wide wiring: every test runs against real databases; settings come from the environment
exactly as in production, pointed at throw-away databases."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support import parallel
from tests.support.redis_server import RedisServer

# A pytest-xdist worker gets a Redis server of its own before anything reads where Redis is
# (tests/support/parallel.py says why); its subprocesses inherit the address. And a folder of
# its own for the HTTP metrics' multiprocess files: a service's /metrics sums every file of the
# folder, and a test's gunicorn wipes its service's files at start (web/common/metrics.py).
_WORKER_REDIS = None
if parallel.xdist_worker():
    _WORKER_DIR = Path(tempfile.mkdtemp(prefix=f"emarket-tests-{parallel.xdist_worker()}-"))
    _WORKER_REDIS = RedisServer(_WORKER_DIR / "redis").start()
    os.environ["EMARKET_TEST_REDIS"] = _WORKER_REDIS.url
    os.environ["EMARKET_METRICS_DIR"] = str(_WORKER_DIR / "metrics")

from tests.settings import RABBIT_URL, REDIS_SERVER  # noqa: E402 — reads EMARKET_TEST_REDIS set just above

# Before anything reads the settings: the suite's own broker vhost, Redis databases and clock.
# An xdist worker sets its own, whatever it inherited: the controller process has loaded this
# file before it starts the workers, and its values name the unsuffixed vhost and the machine's Redis.
_set = os.environ.__setitem__ if parallel.xdist_worker() else os.environ.setdefault
_set("EMARKET_BROKER_URL", RABBIT_URL)
_set("EMARKET_RESULT_BACKEND", f"{REDIS_SERVER}/5")
_set("EMARKET_REDIS_URL", f"{REDIS_SERVER}/6")
# A short clock: an order a test leaves awaiting payment is cancelled within a minute. Its
# countdown waits in RabbitMQ, not in a worker (docs/payment-clock.md), so a worker restart takes
# nothing back whatever the clock.
os.environ.setdefault("EMARKET_PAYMENT_TIMEOUT", "60")
# argon2-cffi's test profile for passwords and PINs (emarket/hashing.py says why); every worker,
# server and program the tests start inherits it. tests/unit/test_hashing.py holds the default.
os.environ.setdefault("EMARKET_ARGON2_PROFILE", "CHEAPEST")


# The marks of whole folders (tests/<folder>/…), set in one place: ``-m "not integration"`` skips
# what needs the broker and workers (no mark for PostgreSQL: nearly every folder needs it),
# ``-m "not slow"`` is the quick tier (README: the folders that start real workers, servers, browsers or clusters).
FOLDER_MARKS = {
    "integration": ("integration", "slow"),
    "fuzz": ("integration", "slow"),
    "security": ("slow",),
    "cluster": ("integration", "slow"),
    "chaos": ("slow",),
    "e2e": ("slow",),
    "bench": ("slow",),
    "contract": ("slow",),
    "containers": (),
}

# Under ``--dist loadgroup`` (README's test command) the tests of one group run in one worker,
# one after the other; a group is a module, or a whole folder where its tests share a stack
# that is costly to start (a session fixture per folder). The containers folder is one group so
# that the compose test is never alone in one: xdist queues the next group behind a worker's
# once two or fewer of its tests are left, and that group would wait out the compose test.
# The chaos folder's two runs are groups of their own, side by side: each brings its own
# RabbitMQ node(s), Redis server, vhost and databases.
FOLDER_GROUPS = {"cluster", "containers", "e2e", "contract", "fuzz", "security"}

# Seconds a test takes, measured on CI's machine under -n 4 (the timeline of a run; by node id
# prefix, the first that matches): a group's cost is its tests' sum. The costly groups are handed
# out first in their wave (one started last would end the run late), and inside a group its
# long tests come first (see above: nothing waits behind it); the others keep the random order.
LONG_TESTS = {
    "tests/containers/test_compose.py::": 410,
    "tests/chaos/test_chaos_cluster.py::test_every_invariant_holds_on_a_cluster": 306,
    "tests/chaos/test_chaos.py::": 150,
    "tests/cluster/test_frozen_node.py::test_a_worker_consumes_again": 97,
    "tests/bench/test_bench_smoke.py::test_clock_bench": 44,
    "tests/bench/test_bench_smoke.py::test_peer_dbos": 21,
    # Folders and modules of many tests that each start a browser, servers or workers.
    "tests/e2e/": 15,
    "tests/fuzz/": 30,
    "tests/integration/test_saga_crashes.py::": 15,
    "tests/contract/": 5,
    "tests/security/": 4,
}

# The tests that start a whole system or a cluster of their own (containers, chaos runs, three
# RabbitMQ nodes) and keep much of this 2-core machine busy for minutes. Four of them at once
# (load ~40) made all of them slow past their own bounds (a container unhealthy in 420 s, a
# cluster fault after the last order): at most HEAVY_AT_ONCE run at a time (parallel.heavy_slot),
# and the schedule spreads them: the two longest first, the others once a third of the light
# groups have been handed out, so that a worker seldom waits for a place.
HEAVY = (
    "tests/containers/test_compose.py::",
    "tests/chaos/test_chaos_cluster.py::test_every_invariant_holds_on_a_cluster",
    "tests/chaos/test_chaos.py::test_every_invariant_holds_under_chaos",
    "tests/cluster/test_frozen_node.py::test_a_worker_consumes_again",
)
HEAVY_AT_ONCE = 2


def _cost(item) -> int:
    return next((cost for prefix, cost in LONG_TESTS.items() if item.nodeid.startswith(prefix)), 0)


def _heavy(item) -> bool:
    return item.nodeid.startswith(HEAVY)


def _group(item) -> str:
    parts = item.path.relative_to(item.config.rootpath).parts
    if len(parts) > 2 and parts[1] in FOLDER_GROUPS:
        return "/".join(parts[:2])
    return "/".join(parts)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(items):
    for item in items:
        parts = item.path.relative_to(item.config.rootpath).parts
        if len(parts) > 1 and parts[0] == "tests":
            for mark in FOLDER_MARKS.get(parts[1], ()):
                item.add_marker(getattr(pytest.mark, mark))
        item.add_marker(pytest.mark.xdist_group(_group(item)))


class _Schedule:
    @pytest.hookimpl(trylast=True)  # after pytest-randomly has shuffled them
    def pytest_collection_modifyitems(self, items):
        """The groups in the order xdist hands them out (``--no-loadscope-reorder``): the two
        longest heavy groups, a third of the light groups (the longest first), the other heavy
        groups, the other light groups; inside a group its long tests first, the rest in random
        order. xdist gives a worker a second group at once when its first has two tests or
        fewer: the later heavy groups go out the one of most tests first, so that one worker
        does not take two of them back to back."""
        group_of = {item.nodeid: _group(item) for item in items}
        cost: dict[str, int] = {}
        count: dict[str, int] = {}
        heavy: set[str] = set()
        for item in items:
            group = group_of[item.nodeid]
            cost[group] = cost.get(group, 0) + _cost(item)
            count[group] = count.get(group, 0) + 1
            if _heavy(item):
                heavy.add(group)
        heavy_first = set(sorted(heavy, key=lambda g: -cost[g])[:HEAVY_AT_ONCE])
        light = [g for g in count if g not in heavy]
        light_first = set(sorted(light, key=lambda g: -cost[g])[:len(light) // 3])

        def order(item) -> tuple[int, int, int]:
            group = group_of[item.nodeid]
            if group in heavy:
                wave, rank = (0, -cost[group]) if group in heavy_first else (2, -count[group])
            else:
                wave, rank = (1 if group in light_first else 3), -cost[group]
            return wave, rank, -_cost(item)

        items.sort(key=order)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    if not parallel.xdist_worker() or not _heavy(item):
        return (yield)
    with parallel.heavy_slot(HEAVY_AT_ONCE):
        return (yield)


def pytest_configure(config):
    config.pluginmanager.register(_Schedule(), "emarket-schedule")


def pytest_unconfigure(config):
    if _WORKER_REDIS is not None:
        _WORKER_REDIS.shutdown()
        shutil.rmtree(_WORKER_DIR, ignore_errors=True)


@pytest.fixture(autouse=True, scope="module")
def _release_connections():
    """Close this process's idle pooled connections after each module: the engines are cached
    per URL, and a process that has run many folders would hold a pool to each folder's
    databases; four of them at once ran the machine's PostgreSQL out of connections."""
    yield
    from db.engine import dispose_all

    dispose_all()


# Every service verifies tokens with the suite's public key; tests mint with its private key.
from tests.support.tokens import ensure_test_keys  # noqa: E402 — once the suite's environment is set above

ensure_test_keys()

# The Celery app reads its broker from the settings once (celeryconfig, loaded lazily on first
# use): load it now, while the environment holds the suite's own broker, not whatever a
# package's fixture has set when something first touches it.
import tasks  # noqa: E402 — see the comment above

assert tasks.app.conf.broker_url == os.environ["EMARKET_BROKER_URL"]
