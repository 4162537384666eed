"""``emarket broker setup``: the queues and the delay ladder declared before anyone publishes."""
from __future__ import annotations

import click

from emarket import broker
from emarket.config import settings


@click.group(help="The message broker.")
def broker_group() -> None:
    pass


@broker_group.command("setup", help="Declare the queues, their topic exchanges and RabbitMQ's delay "
                      "ladder (celery_delayed_*), and bind every queue to it; idempotent. Run it "
                      "before the first countdown is published (compose's migrate, `emarket up`).")
def setup_command() -> None:
    s = settings()
    if not broker.is_rabbitmq(s.broker_url):
        click.echo("the broker is not RabbitMQ: nothing to declare (no broker-side delay; "
                   "the beat sweep keeps the payment clock)")
        return
    queues = broker.task_queues(broker.quorum_names(s.quorum_queues))
    try:
        names = broker.setup(s.broker_url, queues)
    except Exception as error:
        raise click.ClickException(f"broker setup failed: {error} (a 406 PRECONDITION_FAILED means the "
                                   "vhost holds queues of another kind: see docs/operations.md)") from error
    quorum = broker.quorum_names(s.quorum_queues)
    click.echo("declared " + ", ".join(f"{n} ({'quorum' if n in quorum else 'classic'})" for n in names)
               + " and the delay ladder celery_delayed_0..27")
