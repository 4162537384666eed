"""Settings written once and read everywhere: the gunicorn flags live in web/common/gunicorn_conf.py
and the queue list in emarket/broker.py. Compose files and manifests cannot import Python, so
they are held to those here (tests/containers and tests/deploy check one worker per queue)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from emarket import broker
from emarket.cli import up_command
from web.common import gunicorn_conf

ROOT = Path(__file__).resolve().parents[1]
RUN_FILES = sorted([ROOT / "docker-compose.yml", *(ROOT / "docker").glob("*.yml"),
                    *(ROOT / "deploy").rglob("*.yaml")])
# A gunicorn command names its conf, its port and its app, nothing else: the rest is the conf's.
GUNICORN = re.compile(r"gunicorn -c python:web\.common\.gunicorn_conf --bind \S+ '[\w.]+:create_app\(\)'")


@pytest.mark.parametrize("path", RUN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_gunicorn_commands_leave_their_flags_to_the_conf(path):
    for line in path.read_text().splitlines():
        if "gunicorn " in line and not line.lstrip().startswith("#"):
            assert GUNICORN.search(line), f"{path.name}: {line.strip()}"


def test_emarket_up_runs_gunicorn_and_the_worker_as_the_conf_and_queue_list_say(tmp_path):
    processes = up_command._processes(tmp_path)
    for name in ("auth", "shop", "bank"):
        argv = processes[name]
        assert argv[argv.index("-c") + 1] == "python:web.common.gunicorn_conf"
        assert not {"--workers", "-w", "--threads", "--timeout", "--graceful-timeout"} & set(argv), name
    worker = processes["worker"]
    assert worker[worker.index("-Q") + 1].split(",") == list(broker.QUEUES)
    assert (gunicorn_conf.workers, gunicorn_conf.threads) == (2, 4)


def test_the_quorum_queues_default_is_every_queue():
    from emarket.config import Settings

    assert Settings.model_fields["quorum_queues"].default.split(",") == list(broker.QUEUES)
