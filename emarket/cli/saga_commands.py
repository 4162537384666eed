"""``emarket saga …``: an operator's view of the order sagas."""
from __future__ import annotations

import click
from sqlalchemy import select

from db.emarket import Order, SagaEvent
from emarket import audit as auditor
from emarket import order as orders
from emarket.config import settings
from emarket.storage import unit_of_work
from emarket.timefmt import rfc3339


@click.group(help="Inspect order sagas: one order's timeline, or the ones that look stuck.")
def saga() -> None:
    pass


@saga.command(help="Print an order's status and its saga timeline, oldest step first.")
@click.argument("order_id")
def show(order_id: str) -> None:
    with unit_of_work("emarket") as uow:
        order = uow.session.get(Order, order_id)
        if order is None:
            raise click.ClickException(f"no order {order_id}")
        events = list(uow.session.scalars(
            select(SagaEvent).where(SagaEvent.order_id == order_id).order_by(SagaEvent.at, SagaEvent.id)))
    click.echo(f"order {order.id}  user {order.user_id}  status {order.status}"
               + (f" ({order.reason})" if order.reason else "")
               + f"  total {order.total if order.total is not None else '-'} {settings().currency}")
    click.echo(f"created {rfc3339(order.created_at)}  updated {rfc3339(order.updated_at)}"
               + (f"  pay by {rfc3339(order.payment_deadline)}" if order.payment_deadline else ""))
    for event in events:
        click.echo(f"  {rfc3339(event.at)}  {event.name:<26} {event.detail}")


@saga.command(help="List sagas sitting in a running status (accepted, processing, "
                   "payment_started) for longer than the bound.")
@click.option("--older-than", type=float, default=None, show_default="EMARKET_SAGA_STUCK_AFTER",
              help="seconds without progress")
def stuck(older_than: float | None) -> None:
    bound = settings().saga_stuck_after if older_than is None else older_than
    with unit_of_work("emarket") as uow:
        found = orders.stuck(uow, bound)
    for order in found:
        click.echo(f"{order.id}  {order.status:<16} since {rfc3339(order.updated_at)}  user {order.user_id}")
    click.echo(f"{len(found)} stuck saga(s) older than {bound:g}s")


@saga.command(help="Check the books across the three databases: cancelled orders refunded and released, "
                   "completed ones debited once for their total and sold, wallets equal to their ledgers, "
                   "captured bank holds credited once. One line per finding, then 'N findings'; exit 1 if any.")
@click.option("--grace", type=float, default=None, show_default="EMARKET_SAGA_STUCK_AFTER",
              help="seconds a captured bank hold may wait for its credit before it counts")
def audit(grace: float | None) -> None:
    findings = auditor.audit(grace_seconds=settings().saga_stuck_after if grace is None else grace)
    for finding in findings:
        click.echo(finding.line())
    click.echo(f"{len(findings)} findings")
    raise SystemExit(1 if findings else 0)
