"""The worker's consumer as a RabbitMQ cluster needs it (``worker_consumer`` in celeryconfig).

Celery's consumer blueprint, with two changes, both through its own extension points:

- **Native delayed delivery is set up once per cluster, not once per URL.** Celery's
  ``DelayedDelivery`` step treats every URL of a failover list as a broker of its own and, at
  every (re)connection, retries each one that is down with sleeps of 1 + 3 + 5 s before the
  worker consumes again: 18-20 s without a saga step after a node was killed
  (docs/cluster.md). The nodes of a cluster share their exchanges and queues, so
  ``ClusterDelayedDelivery`` tries the URLs in order, once each, and stops at the first that
  answers. ``emarket broker setup`` has declared the ladder before any worker starts anyway:
  this step only repairs a vhost that lost it.
- **No Mingle and no Gossip.** Both talk to every other worker over broadcast queues: Mingle
  waits for their replies at start, Gossip holds an exclusive queue that a node which was
  frozen still owns when it wakes (the worker then exits with RESOURCE_LOCKED). emarket uses
  neither (no revoked-task sync, no election), so a worker starts and reconnects without them.
"""
from __future__ import annotations

import logging
from typing import Any, ClassVar
from urllib.parse import urlparse

from celery.worker.consumer import Consumer as CeleryConsumer
from celery.worker.consumer.delayed_delivery import DelayedDelivery
from kombu.utils.url import maybe_sanitize_url

log = logging.getLogger(__name__)

_CELERY_DELAYED_DELIVERY = "celery.worker.consumer.delayed_delivery:DelayedDelivery"


def broker_urls(setting: str | list[str]) -> list[str]:
    """The failover list in its own order (Celery's step makes a set of it)."""
    urls = setting.split(";") if isinstance(setting, str) else list(setting)
    return [url.strip() for url in urls if url.strip()]


class ClusterDelayedDelivery(DelayedDelivery):
    """Declare the delay ladder and bind the queues on the first node that answers."""

    name = "ClusterDelayedDelivery"

    done = False  # per worker process: the ladder, once declared, stays in the cluster

    def start(self, c: Any) -> None:  # Celery's consumer (untyped)
        if ClusterDelayedDelivery.done:
            # A reconnect: declaring again would wait on the queues whose leader was on the lost
            # node until RabbitMQ elects another, holding the event loop past its heartbeats.
            return
        self._validate_configuration(c.app)
        # The node the consumer has just connected to answers; a node earlier in the list may be
        # the frozen one it failed over from (a handshake and a declare timing out there held the
        # event loop past two heartbeats, and the broker dropped the new connection).
        for url in _connected_first(c, broker_urls(c.app.conf.broker_url)):
            try:
                # Its connection gives up after broker_connection_timeout: no sleeps, no retries.
                self._setup_delayed_delivery(c, url)
                ClusterDelayedDelivery.done = True
                return
            except Exception as error:  # noqa: BLE001 — the next node of the cluster may answer
                log.warning("delayed delivery not set up through %s: %s", maybe_sanitize_url(url), error)
        log.error("delayed delivery set up through no node: countdowns rely on `emarket broker setup` having run")


def _node_of(connection: Any) -> tuple[str, int] | None:
    try:
        return connection.hostname, int(connection.port)
    except (AttributeError, TypeError, ValueError):
        return None


def _is(url: str, node: tuple[str, int] | None) -> bool:
    parsed = urlparse(url)
    return node is not None and (parsed.hostname, parsed.port) == node


def _connected_first(c: Any, urls: list[str]) -> list[str]:
    """``urls`` with the one of the node the consumer is connected to first."""
    node = _node_of(c.connection) if c.connection is not None else None
    first = [url for url in urls if _is(url, node)]
    return first + [url for url in urls if url not in first]


def _after(urls: list[str], node: tuple[str, int] | None) -> list[str]:
    """``urls`` rotated to start after ``node``'s (which goes last); as they are if it is none of them."""
    for n, url in enumerate(urls):
        if _is(url, node):
            return urls[n + 1:] + urls[:n + 1]
    return urls


class Consumer(CeleryConsumer):
    class Blueprint(CeleryConsumer.Blueprint):
        default_steps: ClassVar[list[str]] = [f"{__name__}:ClusterDelayedDelivery" if step == _CELERY_DELAYED_DELIVERY else step
                         for step in CeleryConsumer.Blueprint.default_steps]

    def __init__(self, *args: Any, worker_options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        # Mingle and Gossip stay in the blueprint (the Tasks step requires Mingle): switched off
        # as ``--without-mingle --without-gossip`` would, whatever command started the worker.
        options = {**(worker_options or {}), "without_mingle": True, "without_gossip": True}
        super().__init__(*args, worker_options=options, **kwargs)

    _last_node: tuple[str, int] | None = None  # where the consumer's connection went last

    def connection_for_read(self, heartbeat: float | None = None) -> Any:
        """The consumer's connection, trying first the node after the one it was connected to:
        that one was lost, and a frozen node still accepts TCP, so trying it first again costs a
        connection timeout on every reconnect."""
        urls = broker_urls(self.app.conf.broker_url)
        connection = self.ensure_connected(self.app.connection_for_read(
            url=";".join(_after(urls, self._last_node)), heartbeat=heartbeat))
        self._last_node = _node_of(connection)
        return connection

    def connection_for_write(self, url: str | None = None, heartbeat: float | None = None) -> Any:
        """The connection of the worker's events (its heartbeat, task events for Flower), without
        publisher confirms: they are telemetry, and waiting for a frozen node's confirm here blocks
        the event loop, so the AMQP heartbeat that would notice the frozen node is never checked
        (celery#2312). Task messages keep their confirms (pool processes, beat, the web).

        On a reconnect the Events step closes the connection it leaves: dropped, not closed, since
        closing waits for a close-ok that a frozen node never sends (the event loop waited there
        twice the I/O timeout, past two heartbeats, and lost its new connection too)."""
        # The consumer's node first: it has just answered.
        url = url or ";".join(_connected_first(self, broker_urls(self.app.conf.broker_url)))
        connection = self.app.connection_for_write(url=url, heartbeat=heartbeat,
                                                   transport_options={"confirm_publish": False})
        connection.close = connection.release = connection.collect
        return self.ensure_connected(connection)
