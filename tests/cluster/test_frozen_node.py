"""A frozen RabbitMQ node never stalls a worker for ever: a real ``celery worker`` connected to
a node that is then SIGSTOPped notices (its AMQP heartbeat), reconnects to another node and
consumes again while that node is still frozen, within the cluster run's bound (15 s). The
worker's queue is led by another node, so what is measured is the worker, not RabbitMQ's
election of new leaders for the frozen node's queues (the cluster chaos run measures the whole).
Also: the queue leaders are spread over the three nodes although ``emarket broker setup``
talked to one (``queue_leader_locator = balanced``)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from celery import Celery

from emarket import broker
from emarket.config import PROJECT_ROOT
from tests.chaos.stack import starting_from
from tests.settings import REDIS_SERVER
from tests.support import process_group
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration

FROZEN_BOUND = 15.0
RESULTS = f"{REDIS_SERVER}/15"


def _urls(cluster) -> str:
    return ";".join(cluster.url(n) for n in cluster.nodes)


def _client(cluster, first: int) -> Celery:
    client = Celery("frozen-node-test", broker=starting_from(_urls(cluster), first), backend=RESULTS)
    client.conf.update(broker_connection_timeout=2, broker_transport_options={"confirm_publish": True,
                       "read_timeout": 5, "write_timeout": 5}, task_publish_retry_policy={"max_retries": 10})
    return client


QUEUES = {q.name: q for q in broker.task_queues(frozenset(broker.QUEUES))}


def _ping(client: Celery, queue: str, timeout: float) -> str:
    """``saga.ping`` through ``queue`` (any worker of the app answers it, whatever it consumes)."""
    return client.send_task("saga.ping", queue=QUEUES[queue]).get(timeout=timeout)


def test_queue_leaders_are_spread_over_the_nodes(cluster):
    leaders = cluster.leaders_at_layout
    assert len(leaders) == 3, leaders
    assert max(leaders.values()) - min(leaders.values()) <= 2, leaders
    assert sum(leaders.values()) == len(broker.QUEUES) + len(broker.DELAY_QUEUES)


@pytest.mark.timeout(300)
def test_a_worker_consumes_again_while_the_node_it_used_is_still_frozen(cluster, tmp_path):
    leaders = {name: node for name, node, _ in cluster.queues() if name in QUEUES}
    frozen = cluster.nodes[0]
    queue = next(name for name, node in leaders.items() if node != frozen.name)
    first = cluster.nodes.index(frozen)  # the worker connects to the node that will freeze
    env = {**os.environ, "EMARKET_BROKER_URL": starting_from(_urls(cluster), first), "EMARKET_RESULT_BACKEND": RESULTS}
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "tasks", "worker", "-Q", queue, "-c", "1",
                                   "-n", f"frozen-test-{os.getpid()}@%h", "-l", "INFO"], cwd=PROJECT_ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    other = _client(cluster, first + 1)  # the test talks to the cluster through another node
    try:
        assert _ping(other, queue, timeout=90) == "pong"  # the worker runs, connected to ``frozen``
        cluster.freeze(frozen)
        try:
            # The bound is the deadline: a worker still blocked on the frozen node fails here.
            answer = wait_until(lambda: _try_ping(other, queue), timeout=FROZEN_BOUND, interval=0.1,
                                what="the worker to answer with its node frozen")
            assert answer == "pong" and frozen.frozen
        finally:
            cluster.thaw(frozen)
            cluster.await_rejoined(frozen)
    finally:
        process_group.stop(worker, timeout=15)
        other.close()


def _try_ping(client: Celery, queue: str) -> str | None:
    try:
        return _ping(client, queue, timeout=3)
    except Exception:  # noqa: BLE001 — not yet: a new leader, a reconnect; asked again
        return None
