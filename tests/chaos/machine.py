"""What a chaos test checks of the machine around its run: the machine's own RabbitMQ,
PostgreSQL and Redis were not restarted (the run's faults hit servers of its own), and no process
the run started is left."""
from __future__ import annotations

import subprocess

import psutil
import redis
from sqlalchemy import create_engine, text

from tests.settings import PG_SERVER, REDIS_SERVER


def machine_services() -> dict:
    """What would change if the machine's own servers had been restarted."""
    broker = subprocess.run(["rabbitmqctl", "-q", "eval", "os:getpid()."], capture_output=True, text=True,
                            timeout=60).stdout.strip()
    engine = create_engine(f"{PG_SERVER}/postgres")
    with engine.connect() as conn:
        postmaster = conn.execute(text("SELECT pg_postmaster_start_time()")).scalar()
    engine.dispose()
    return {"rabbitmq": broker, "postgres": postmaster,
            "redis": redis.Redis.from_url(f"{REDIS_SERVER}/0").info("server")["run_id"]}


def processes_of(*marks: str) -> list[str]:
    """The command lines (cut short) of the processes that name any of ``marks``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if any(mark in line for mark in marks):
            found.append(line[:120])
    return found
