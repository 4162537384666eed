"""The suite's own RabbitMQ virtual host, so tests never share queues with a developer's run.

The first time a process asks for a vhost it is deleted and created again, then laid out
(emarket/broker.py: the queues, their topic exchanges, the delay ladder): a test run starts
from an empty broker, and a vhost left with an older layout (classic queues where quorum ones
are declared now: RabbitMQ refuses with 406) cannot fail it."""
from __future__ import annotations

import shutil
import subprocess
from urllib.parse import urlparse

from kombu import Connection

from tests.settings import RABBIT_URL


_fresh: set[str] = set()  # vhosts this process already started clean


def ensure_vhost(url: str = RABBIT_URL) -> None:
    """The vhost exists, empty the first time this process asks, with the broker's layout."""
    if url in _fresh:
        return
    vhost = urlparse(url).path.lstrip("/") or "/"
    if shutil.which("rabbitmqctl") and vhost != "/":
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], capture_output=True)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                       check=True, capture_output=True)
    else:  # a broker we do not run: it must exist already
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    lay_out(url)
    _fresh.add(url)


def lay_out(url: str) -> None:
    """What ``emarket broker setup`` declares, with this process's queue settings."""
    from emarket import broker
    from emarket.config import settings

    broker.setup(url, broker.task_queues(broker.quorum_names(settings().quorum_queues)))


def purge_queues(app, queues) -> None:
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in queues:
            try:
                channel.queue_purge(queue)
            except Exception:  # not declared yet: nothing to purge
                channel = conn.channel()
