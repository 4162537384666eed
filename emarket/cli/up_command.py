"""``emarket up``: the whole system in one command.

On the embedded default (nothing installed beyond pip) it starts the pip-shipped Redis and the
pip-shipped PostgreSQL (``emarket.embedded_pg``), creates and migrates the three databases, writes
dev JWT keys, loads the demo data, then runs auth,
shop and bank (gunicorn), one Celery worker for all queues, beat and Flower, prints the URLs,
and stops everything on Ctrl-C. With the EMARKET_ variables pointed at PostgreSQL, RabbitMQ and
Redis it starts the same processes against them.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import click

from db import migrate
from db.schema import DATABASES
from emarket import broker, demo, embedded_redis, storage
from emarket.config import Settings, settings
from emarket.keys import generate_keypair
from emarket.storage import database_url

QUEUES = ",".join(broker.QUEUES)


def _processes(var: Path) -> dict[str, list[str]]:
    s, py = settings(), sys.executable
    # The conf gives each service its processes, metrics folder and JSON logs (docs/operations.md).
    gunicorn = [py, "-m", "gunicorn", "-c", "python:web.common.gunicorn_conf"]
    return {
        "auth": gunicorn + ["-b", f"0.0.0.0:{s.auth_port}", "web.auth:create_app()"],
        "shop": gunicorn + ["-b", f"0.0.0.0:{s.shop_port}", "web.shop:create_app()"],
        "bank": gunicorn + ["-b", f"0.0.0.0:{s.bank_port}", "web.bank:create_app()"],
        "worker": [py, "-m", "celery", "-A", "tasks", "worker", "-Q", QUEUES, "-c", "2",
                   "-n", "emarket@%h", "-l", s.log_level],
        "beat": [py, "-m", "celery", "-A", "tasks", "beat", "-l", s.log_level,
                 "-s", str(var / "celerybeat-schedule")],
        "flower": [py, "-m", "celery", "-A", "tasks", "flower", f"--port={s.flower_port}",
                   "--address=0.0.0.0"],
    }


def _prepare(var: Path) -> None:
    """Databases at head and dev keys present: what every process needs before it starts."""
    s = settings()
    var.mkdir(parents=True, exist_ok=True)
    for name in DATABASES:  # the first URL asked for starts the embedded PostgreSQL, if it is the one
        migrate.upgrade(name, database_url(name))
    if broker.is_rabbitmq(s.broker_url):  # the delay ladder before the first countdown (emarket/broker.py)
        broker.setup(s.broker_url, broker.task_queues(broker.quorum_names(s.quorum_queues)))
    if generate_keypair(s.jwt_private_key, s.jwt_public_key):
        click.echo(f"wrote dev JWT keys to {Path(s.jwt_private_key).parent}")


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for _name, process in reversed(list(children.items())):
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 15
    for process in children.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


@click.command(help="Run the whole system (auth, shop, bank, worker, beat, Flower) until Ctrl-C.")
@click.option("--no-demo", is_flag=True, help="do not load the demo users and products")
def up(no_demo: bool) -> None:
    s = settings()
    var = Path(s.var_dir)
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        if embedded_redis.uses_embedded(s.broker_url, s.result_backend, s.redis_url) and embedded_redis.is_up():
            try:
                embedded_redis.check_is_ours(var)
            except RuntimeError as taken:
                raise click.ClickException(str(taken)) from None
        elif embedded_redis.uses_embedded(s.broker_url, s.result_backend, s.redis_url):
            children["redis"] = embedded_redis.start(var)
            deadline = time.monotonic() + 15
            while not embedded_redis.is_up():
                if time.monotonic() > deadline or children["redis"].poll() is not None:
                    raise click.ClickException("the embedded Redis did not start; see var/redis.log")
                time.sleep(0.1)
        _prepare(var)
        data = None if no_demo else demo.load()
        logs = var / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name, argv in _processes(var).items():
            log = open(logs / f"{name}.log", "ab")
            children[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        _announce(s, data, logs)
        while not stopping:
            for name, process in children.items():
                if process.poll() is not None:
                    raise click.ClickException(f"{name} exited with {process.returncode}; see {logs / (name + '.log')}")
            time.sleep(0.5)
        click.echo("stopping…")
    finally:
        _stop(children)
        storage.release_embedded()  # after its users: the services stopped first
    click.echo("stopped")


def _announce(s: Settings, data: demo.Demo | None, logs: Path) -> None:
    click.echo(f"""
emarket is up (logs in {logs}):
  shop    http://127.0.0.1:{s.shop_port}/
  auth    http://127.0.0.1:{s.auth_port}/.well-known/jwks.json
  bank    http://127.0.0.1:{s.bank_port}/
  flower  http://127.0.0.1:{s.flower_port}/""")
    if data:
        click.echo(f"""  admin   {data.admin[0]} / {data.admin[1]}
  shopper {data.shopper[0]} / {data.shopper[1]} (bank account {data.bank_account}, PIN {demo.BANK_PIN})""")
    click.echo("Press Ctrl-C to stop.")
