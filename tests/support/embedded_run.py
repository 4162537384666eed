"""`emarket up` on the embedded default (the pip-shipped PostgreSQL and Redis) as a running system for a
test: free ports, only the embedded defaults in its environment, stopped with Ctrl-C after."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.support.http import free_port, wait_http


def embedded_env(var_dir: Path) -> tuple[dict, dict]:
    """The environment of an embedded run in ``var_dir``, and its services' base URLs."""
    ports = {name: free_port() for name in ("shop", "auth", "bank", "flower", "redis")}
    # Only the embedded defaults: none of the suite's EMARKET_* settings leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMARKET_")}
    env.update({
        "EMARKET_VAR_DIR": str(var_dir),
        "EMARKET_SHOP_PORT": str(ports["shop"]), "EMARKET_AUTH_PORT": str(ports["auth"]),
        "EMARKET_BANK_PORT": str(ports["bank"]), "EMARKET_FLOWER_PORT": str(ports["flower"]),
        "EMARKET_EMBEDDED_REDIS_PORT": str(ports["redis"]),  # not a developer's own `emarket up` on 6389
        "EMARKET_AUTH_URL": f"http://127.0.0.1:{ports['auth']}",
        "EMARKET_BANK_URL": f"http://127.0.0.1:{ports['bank']}",
        "EMARKET_BANK_PUBLIC_URL": f"http://127.0.0.1:{ports['bank']}",
    })
    return env, {name: f"http://127.0.0.1:{port}" for name, port in ports.items() if name != "redis"}


@contextmanager
def embedded_run(folder: Path):
    """Yields ``(urls, process, env)`` once the shop and auth answer; Ctrl-C at the end."""
    env, urls = embedded_env(folder / "var")
    log = open(folder / "up.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "emarket.cli", "up"], env=env, cwd=folder,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(urls["shop"] + "/api/products", timeout=120)
        wait_http(urls["auth"] + "/.well-known/jwks.json", timeout=60)
        yield urls, process, env
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        print((folder / "up.log").read_text(errors="replace")[-3000:])
