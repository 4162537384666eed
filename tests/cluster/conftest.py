"""A private three-node RabbitMQ cluster for this folder's tests (tests.chaos.rabbit_cluster):
its own ports, data, cookie and vhost, stopped at the end; the machine's node is never touched."""
from __future__ import annotations

import shutil

import pytest

from tests.chaos.rabbit_cluster import RABBIT_BIN, RabbitCluster, free_cluster_ports
from tests.support.broker import lay_out

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    if not (RABBIT_BIN / "rabbitmq-server").exists():
        pytest.skip(f"RabbitMQ is not installed ({RABBIT_BIN})")
    cluster = RabbitCluster(tmp_path_factory.mktemp("rabbit-cluster"), free_cluster_ports(5791), "emarket_cluster_test")
    try:
        cluster.start()
        lay_out(cluster.url(cluster.nodes[0]))  # every queue and the delay ladder, through one node
        # Where the leaders were placed, read before any test freezes a node and moves them:
        # the tests run in any order.
        cluster.leaders_at_layout = cluster.leaders()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.folder, ignore_errors=True)
