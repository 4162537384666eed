"""The CI-sized chaos run: 200 orders and 50 top-ups through the real stack with the same
faults as the full run (worker SIGKILLs, a RabbitMQ and a Redis restart, duplicated messages,
a bank that answers 500 and times out). Fails on any broken invariant; the machine's own
RabbitMQ, PostgreSQL and Redis are as they were (the run restarts a node and a Redis of its own).

It runs ``python -m tests.chaos`` in a subprocess, so the run's environment (its own broker,
Redis and databases, short clocks) never leaks into this test session's settings.
"""
from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlparse

import pytest

from emarket.config import PROJECT_ROOT
from tests.chaos.machine import machine_services, processes_of
from tests.chaos.rabbit_cluster import RABBIT_BIN, free_cluster_ports, port_free
from tests.settings import INTEGRATION_DB_PREFIX, RABBIT_URL

# Named after this session's own vhost and database prefix (EMARKET_TEST_BROKER,
# EMARKET_TEST_DB_PREFIX), so two sessions on one machine do not run into each other's chaos.
VHOST = urlparse(RABBIT_URL).path.lstrip("/") + "_chaos"
DB_PREFIX = INTEGRATION_DB_PREFIX + "_chaos"

pytestmark = pytest.mark.integration


@pytest.mark.timeout(520)
@pytest.mark.skipif(not (RABBIT_BIN / "rabbitmq-server").exists(), reason="the chaos run starts a RabbitMQ node of its own")
def test_every_invariant_holds_under_chaos(tmp_path):
    report_path = tmp_path / "report.json"
    [broker_port] = free_cluster_ports(5871, count=1)
    before = machine_services()
    argv = [sys.executable, "-m", "tests.chaos", "--orders", "200", "--topups", "50", "--rate", "8",
            "--final-within", "150", "--db-prefix", DB_PREFIX, "--vhost", VHOST, "--broker-port", str(broker_port),
            "--redis-dbs", "9", "10", "--log-dir", str(tmp_path / "logs"), "--json", str(report_path)]
    process = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=440)
    except subprocess.TimeoutExpired:
        process.terminate()  # the run cleans up on SIGTERM: services up, its processes stopped
        stdout, stderr = process.communicate(timeout=60)
    run = subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)
    assert report_path.exists(), f"the run did not finish:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    report = json.loads(report_path.read_text())
    broken = {name: problems[:5] for name, problems in report["broken"].items() if problems}
    assert not broken, f"broken invariants (logs in {tmp_path / 'logs'}):\n{json.dumps(broken, indent=1)}\n{run.stdout}"
    assert run.returncode == 0, run.stdout[-4000:]
    faults = report["figures"]["faults"]
    # The faults really happened: a run that injected nothing would prove nothing.
    assert faults["worker SIGKILLs (whole worker)"] + faults["pool process SIGKILLs"] >= 5
    assert faults["task messages published twice"] >= 10
    assert faults["bank outage windows (500s, then timeouts)"] == 2
    assert faults["RabbitMQ restarts (stop_app/start_app)"] == 1
    assert faults["Redis restarts (shutdown nosave)"] == 1
    orders = report["figures"]["orders"]
    assert sum(orders.values()) == 200 and orders.get("completed", 0) > 0
    assert len([s for s in orders if s.startswith("cancelled")]) >= 3  # timeouts, user cancels, stock, funds
    # The faults hit the run's own servers: the machine's are as they were, and nothing is left.
    assert machine_services() == before
    assert processes_of(f"emarket-chaos-{broker_port}", str(tmp_path)) == []
    assert port_free(broker_port)
