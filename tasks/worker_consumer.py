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

    def start(self, c) -> None:
        self._validate_configuration(c.app)
        for url in broker_urls(c.app.conf.broker_url):
            try:
                # Its connection gives up after broker_connection_timeout: no sleeps, no retries.
                self._setup_delayed_delivery(c, url)
                return
            except Exception as error:  # noqa: BLE001 — the next node of the cluster may answer
                log.warning("delayed delivery not set up through %s: %s", maybe_sanitize_url(url), error)
        log.error("delayed delivery set up through no node: countdowns rely on `emarket broker setup` having run")


class Consumer(CeleryConsumer):
    class Blueprint(CeleryConsumer.Blueprint):
        default_steps = [f"{__name__}:ClusterDelayedDelivery" if step == _CELERY_DELAYED_DELIVERY else step
                         for step in CeleryConsumer.Blueprint.default_steps]

    def __init__(self, *args, worker_options=None, **kwargs):
        # Mingle and Gossip stay in the blueprint (the Tasks step requires Mingle): switched off
        # as ``--without-mingle --without-gossip`` would, whatever command started the worker.
        options = {**(worker_options or {}), "without_mingle": True, "without_gossip": True}
        super().__init__(*args, worker_options=options, **kwargs)
