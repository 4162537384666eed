"""The benchmarks cannot rot: each script runs end to end with a tiny N on the real services
(its own vhost, databases and Redis database) and writes the JSON its README figures come from.
Speed is not asserted here (benchmarks print figures, tests do not time things); that each
script ran its work to the end, correctly, is."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from tests.settings import INTEGRATION_DB_PREFIX, PG_SERVER, RABBIT_URL, REDIS_SERVER

ROOT = Path(__file__).resolve().parents[2]
# One vhost for all scripts (each vhost costs RabbitMQ 34 quorum queues and two message stores);
# each script truncates its databases and purges the queues first.
# Named after this session's vhost and database prefix: another session's (perhaps newer)
# migrations never meet this one's databases.
BROKER = urlunparse(urlparse(RABBIT_URL)._replace(path=urlparse(RABBIT_URL).path + "_benchsmoke"))

pytestmark = pytest.mark.integration


def run(script: str, tmp_path: Path, *args: str) -> dict:
    command = [sys.executable, str(ROOT / "bench" / f"{script}.py"), *args, "--broker", BROKER, "--pg", PG_SERVER,
               "--redis", REDIS_SERVER, "--redis-db", "9", "--db-prefix", f"{INTEGRATION_DB_PREFIX}_bench_{script}",
               "--results", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((tmp_path / f"{script}.json").read_text())


def test_saga_bench_runs_sagas_and_noop_chains(tmp_path):
    result = run("saga", tmp_path, "--orders", "20", "--warmup", "2", "--inflight", "8")
    assert result["failed_sagas"] == 0
    assert result["sagas_per_s"] > 0 and result["noop_chains_per_s"] > 0
    assert result["throughput_ratio"] > 0
    # Every saga sent its statements through the counted workers: the costs are real figures
    # (a transaction per step, at least one statement in each; 10 statements in 8 today).
    assert result["db_transactions_per_saga"] >= 7
    assert result["db_statements_per_saga"] >= result["db_transactions_per_saga"]
    assert set(result["latency_ms"]) == {"saga phase 1", "no-op chain, 3 tasks", "saga phase 2", "no-op chain, 4 tasks"}


def test_peer_dbos_completes_every_checkout_in_both_engines(tmp_path):
    result = run("peer_dbos", tmp_path, "--orders", "20", "--inflight", "4")
    assert result["emarket_phase2"]["failed"] == 0
    assert result["dbos"]["outcomes"] == {"completed": 20}
    assert result["emarket_phase2"]["per_s"] > 0 and result["dbos"]["per_s"] > 0


def test_cabinet_bench_serves_the_top_user_and_shows_plans(tmp_path):
    result = run("cabinet", tmp_path, "--orders", "2000", "--users", "20", "--requests", "20", "--reseed")
    assert result["top_user_orders"] > 2000 // 20  # the skew gives the top user more than a fair share
    assert all(v["p50"] > 0 for v in result["latency_ms"].values())
    assert any("Index" in line for line in result["plans"]["list, deep page"])


def test_memory_bench_samples_the_worker(tmp_path):
    result = run("memory", tmp_path, "--sagas", "50", "--every", "10")
    assert result["failed_sagas"] == 0
    assert [s["sagas"] for s in result["curve"]] == [0, 10, 20, 30, 40, 50]
    assert all(s["rss_mb"] > 10 for s in result["curve"])


def test_clock_bench_fires_every_countdown_once_across_a_restart(tmp_path):
    result = run("clock", tmp_path, "--orders", "20", "--rate", "10", "--lead", "25")
    assert result["scheduled_in_workers"] == 0 and result["awaiting_at_kill"] == 20
    assert result["timed_out"] == 19  # one of them was cancelled by its user
    assert result["timeout_runs"] == 20 and result["timeout_runs_cancelling"] == 19
    assert result["orders_run_twice"] == 0
    assert 0 <= result["lateness_s"]["min"] <= result["lateness_s"]["max"]
