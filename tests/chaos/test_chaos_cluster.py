"""The CI-sized cluster chaos run (``python -m tests.chaos --cluster``): 120 orders and 20
top-ups over three private RabbitMQ nodes and a private PostgreSQL while a node is killed, a
node is frozen 40 s and the postmaster is killed, besides worker SIGKILLs and duplicated
messages. Every invariant holds, each fault stops the shop no longer than its bound, the
machine's own RabbitMQ, PostgreSQL and Redis are as they were, and nothing it started is left.
Bad input is one line and exit 2, with nothing started."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from emarket.config import PROJECT_ROOT
from tests.chaos.machine import machine_services, processes_of
from tests.chaos.private_pg import PG_ROOT
from tests.chaos.rabbit_cluster import RABBIT_BIN, free_cluster_ports, port_free
from tests.settings import INTEGRATION_DB_PREFIX, RABBIT_URL

pytestmark = pytest.mark.integration
needs_servers = pytest.mark.skipif(not (RABBIT_BIN / "rabbitmq-server").exists() or not list(PG_ROOT.glob("*/bin/initdb")),
                                   reason="the cluster run starts RabbitMQ and PostgreSQL from this machine's binaries")
# At this size (half an order a second, so that the three faults fit in the arrivals) the steps
# are too few to time a fault to the second: a gap between two steps is as much the traffic as
# the fault. The run holds each fault to "the shop goes on while it lasts and right after": at
# most the fault's own length plus its recovery. Issue 21's bounds (5, 15, 10 s) are the full
# run's, at 2 orders a second (docs/reliability.md); a worker's own bound under a frozen node is
# tests/cluster/test_frozen_node.py's.
CI_STALL_BOUNDS = ("30", "55", "30")
# The report's line names each fault's stall in the order the faults happened.
STALLS = re.compile(r"^stalls \(s\): (.*)$", re.M)
STALL = re.compile(r"(node killed|node frozen|postgres restarted) (\d+\.\d)")


def _chaos(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.chaos", "--cluster", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def _free_pg_port() -> int:
    return next(p for p in range(5491, 5591) if port_free(p))


@needs_servers
def test_a_port_already_taken_is_one_line_and_exit_2(tmp_path):
    ports = free_cluster_ports(5841)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports[1]))
        taken.listen()
        run = _chaos("--cluster-ports", *map(str, ports), "--pg-port", str(_free_pg_port()),
                     "--log-dir", str(tmp_path / "logs"))
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [f"python -m tests.chaos: port {ports[1]} is already taken: "
                                               "choose other ports (--cluster-ports, --pg-port)"]
    assert processes_of(f"emarket-chaos-{ports[0]}", str(tmp_path)) == []


def test_no_rabbitmq_installed_is_one_line_and_exit_2(tmp_path):
    run = _chaos("--log-dir", str(tmp_path / "logs"), env={"EMARKET_CHAOS_RABBITMQ_BIN": str(tmp_path / "nowhere")})
    assert run.returncode == 2, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert "RabbitMQ is not installed here" in line and "nowhere" in line
    assert not (tmp_path / "logs" / "rabbit").exists()


@needs_servers
@pytest.mark.timeout(1200)
def test_every_invariant_holds_on_a_cluster_through_node_and_database_faults(tmp_path):
    ports, pg_port = free_cluster_ports(5801), _free_pg_port()
    before = machine_services()
    vhost = RABBIT_URL.rsplit("/", 1)[1] + "_cluster_chaos"
    run = _chaos("--orders", "120", "--topups", "20", "--rate", "0.5", "--cluster-ports", *map(str, ports),
                 "--pg-port", str(pg_port), "--vhost", vhost, "--db-prefix", INTEGRATION_DB_PREFIX + "_cluster_chaos",
                 "--redis-dbs", "9", "10", "--stall-bounds", *CI_STALL_BOUNDS,
                 "--log-dir", str(tmp_path / "logs"), "--json", str(tmp_path / "report.json"),
                 timeout=1100)
    report = json.loads((tmp_path / "report.json").read_text()) if (tmp_path / "report.json").exists() else {}
    broken = {name: problems[:5] for name, problems in report.get("broken", {}).items() if problems}
    assert run.returncode == 0 and not broken, f"{json.dumps(broken, indent=1)}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert "ALL INVARIANTS HOLD" in run.stdout
    stalls = {kind: float(seconds) for kind, seconds in STALL.findall(STALLS.search(run.stdout).group(1))}
    killed, frozen, restarted = stalls["node killed"], stalls["node frozen"], stalls["postgres restarted"]
    assert all(stall <= float(bound) for stall, bound in zip((killed, frozen, restarted), CI_STALL_BOUNDS, strict=False))
    faults = report["figures"]["faults"]
    assert faults["RabbitMQ nodes killed (kill -9, then restarted)"] == 1
    assert faults["RabbitMQ nodes frozen (SIGSTOP 40 s, then SIGCONT)"] == 1
    assert faults["PostgreSQL postmaster killed (kill -9, then crash recovery)"] == 1
    assert faults["RabbitMQ restarts (stop_app/start_app)"] == faults["Redis restarts (shutdown nosave)"] == 0
    assert sum(report["figures"]["orders"].values()) == 120
    # The machine's own servers were not restarted, and nothing the run started is left.
    assert machine_services() == before
    assert processes_of(*(f"emarket-chaos-{p}" for p in ports), f"emarket-chaos-pg-{pg_port}-") == []
    assert not list(Path(tempfile.gettempdir()).glob(f"emarket-chaos-pg-{pg_port}-*"))
    assert port_free(pg_port) and all(port_free(p) for p in ports)
