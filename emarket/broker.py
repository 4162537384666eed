"""The broker's layout: one queue per service, each behind a topic exchange of its name, and
the RabbitMQ objects that let a countdown wait in the broker instead of in a worker.

Celery (≥ 5.5) turns on RabbitMQ's native delayed delivery when a queue of ``task_queues`` is
a quorum queue: a countdown is published to the ``celery_delayed_*`` exchanges, a ladder of
28 TTL queues (one per bit of the delay in seconds) that dead-letter into
``celery_delayed_delivery``, from which every topic exchange takes back the messages routed to
it (``#.<queue>``). With a direct exchange Celery cannot route a delayed message back and holds
the ETA in the worker, as before: hence topic exchanges. Which queues are quorum queues is a
setting (``EMARKET_QUORUM_QUEUES``); docs/payment-clock.md says what was measured and chosen.

A countdown published before that ladder exists is lost, and a worker only builds it when it
starts: ``setup()`` (``emarket broker setup``) declares it and binds every queue first.
"""
from __future__ import annotations

from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.transport.native_delayed_delivery import (
    bind_queue_to_native_delayed_delivery_exchange,
    declare_native_delayed_delivery_exchanges_and_queues,
)

QUEUES = ("account", "order", "product", "money", "money_add", "saga")
# The delay ladder's own queues: quorum, so dead-lettering from one to the next is
# at-least-once and a broker restart loses no waiting countdown.
DELAY_QUEUE_TYPE = "quorum"


DELAY_QUEUES = tuple(f"celery_delayed_{level}" for level in range(28))


def is_rabbitmq(url: str) -> bool:
    return url.startswith(("amqp", "pyamqp"))


def task_queues(quorum: set[str] | frozenset[str]) -> list[Queue]:
    """The six service queues; those named in ``quorum`` are quorum queues, the others classic."""
    return [
        Queue(name, Exchange(name, type="topic"), routing_key=name, durable=True,
              queue_arguments={"x-queue-type": "quorum"} if name in quorum else None)
        for name in QUEUES
    ]


def quorum_names(setting: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in setting.split(",") if n.strip())
    unknown = names - set(QUEUES)
    if unknown:
        raise ValueError(f"EMARKET_QUORUM_QUEUES names no queue of ours: {', '.join(sorted(unknown))}")
    if not names:
        raise ValueError("EMARKET_QUORUM_QUEUES must name at least one queue (native delayed "
                         "delivery switches on only with a quorum queue)")
    return names


def setup(url: str, queues: list[Queue], connect_timeout: float = 10.0) -> list[str]:
    """Declare the queues, their exchanges and the delay ladder, and bind every queue to it
    (idempotent: what exists is left as it is). Returns the queue names. A queue declared
    before with other arguments (a classic one, now quorum) makes RabbitMQ refuse with 406
    PRECONDITION_FAILED: docs/operations.md says how to move."""
    with Connection(url, connect_timeout=connect_timeout) as conn:
        conn.ensure_connection(max_retries=3)
        channel = conn.channel()
        for queue in queues:
            queue.bind(channel).declare()
        declare_native_delayed_delivery_exchanges_and_queues(conn, DELAY_QUEUE_TYPE)
        for queue in queues:
            bind_queue_to_native_delayed_delivery_exchange(conn, queue)
    return [q.name for q in queues]
