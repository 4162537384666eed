"""The suite's own RabbitMQ virtual host, so tests never share queues with a developer's run."""
from __future__ import annotations

import shutil
import subprocess
from urllib.parse import urlparse

from kombu import Connection

from tests.settings import RABBIT_URL


def ensure_vhost(url: str = RABBIT_URL) -> None:
    vhost = urlparse(url).path.lstrip("/") or "/"
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return
    except Exception:
        if not shutil.which("rabbitmqctl"):
            raise
    subprocess.run(["rabbitmqctl", "add_vhost", vhost], capture_output=True)
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)


def purge_queues(app, queues) -> None:
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in queues:
            try:
                channel.queue_purge(queue)
            except Exception:  # not declared yet: nothing to purge
                channel = conn.channel()
