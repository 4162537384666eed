"""The suite's own RabbitMQ virtual host, so tests never share queues with a developer's run.

The first time a process asks for a vhost it is laid out (emarket/broker.py: the queues, their
topic exchanges, the delay ladder). Only a vhost left with an older layout, which RabbitMQ
refuses to redeclare (406: classic queues where quorum ones are declared now), is deleted and
created again: deleting a vhost is slow and serialises every vhost operation on the broker (on
this shared machine one took 10 minutes), so it happens once per vhost, not per run."""
from __future__ import annotations

import shutil
import subprocess
from urllib.parse import urlparse

from amqp.exceptions import PreconditionFailed

from tests.settings import RABBIT_URL

_fresh: set[str] = set()  # vhosts this process already started clean


def ensure_vhost(url: str = RABBIT_URL) -> None:
    """The vhost exists with the broker's layout (recreated only if it held an older one)."""
    if url in _fresh:
        return
    vhost = urlparse(url).path.lstrip("/") or "/"
    try:
        lay_out(url)
    except PreconditionFailed:  # an older layout: start this vhost afresh, once
        _rabbitmqctl("delete_vhost", vhost, check=False)
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        lay_out(url)
    except Exception:  # noqa: BLE001 — no such vhost yet (or no permission): create it
        _rabbitmqctl("add_vhost", vhost, check=False)
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        lay_out(url)
    _fresh.add(url)


def _rabbitmqctl(*args: str, check: bool = True) -> None:
    if shutil.which("rabbitmqctl"):  # else: a broker we do not run, the vhost must exist
        subprocess.run(["rabbitmqctl", "-q", *args], check=check, capture_output=True, timeout=900)


def lay_out(url: str) -> None:
    """What ``emarket broker setup`` declares, with this process's queue settings."""
    from emarket import broker
    from emarket.config import settings

    broker.setup(url, broker.task_queues(broker.quorum_names(settings().quorum_queues)))


def purge_queues(app, queues) -> None:
    """Empty these queues, and the delay ladder (countdowns an earlier run left waiting)."""
    from emarket.broker import DELAY_QUEUES

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in (*queues, *DELAY_QUEUES):
            try:
                channel.queue_purge(queue)
            except Exception:  # noqa: BLE001 — not declared yet: nothing to purge
                channel = conn.channel()
