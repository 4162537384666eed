"""The payment clock (queue ``saga``, docs/payment-clock.md): an order awaiting payment is
cancelled at its deadline unless its payment started.

``order.await_payment`` starts the clock (``schedule_payment_timeout``). On RabbitMQ the
countdown ``saga.payment_timeout`` waits in the broker and fires at the deadline; beat's
``saga.cancel_overdue`` sweeps the overdue orders too (every 30 s), so a lost countdown can
never leave an order waiting for ever. Redis has no broker-side delay: there the sweep, every
few seconds, is the clock (celeryconfig.py). Both cancel through the same compare-and-set
(``expire``): the loser of a race with a payment or a cancel does nothing.
"""
from __future__ import annotations

from datetime import datetime

from emarket import order as orders
from emarket.storage import unit_of_work
from tasks import countdown, metrics
from tasks.celery_app import app
from tasks.step import SagaStep


def schedule_payment_timeout(order_id: str, deadline: datetime) -> None:
    """On RabbitMQ the countdown waits in the broker (celeryconfig.py) and fires at the
    deadline. Redis has none: a worker would hold every countdown in memory and take them back
    slowly after a restart, so there the beat sweep, run every few seconds, is the clock."""
    if app.conf.get("emarket_clock_in_broker"):
        # A countdown, not an eta: see tasks.countdown.until.
        payment_timeout.apply_async((order_id,), countdown=countdown.until(deadline))


def expire(order_id: str) -> bool:
    """Cancel the order if it is still awaiting payment past its deadline; True if it did."""
    with unit_of_work("emarket") as uow:
        expired = orders.expire_payment(uow, order_id)
    if expired:
        metrics.saga_cancelled("payment_timeout")
    return expired


@app.task(base=SagaStep, name="saga.payment_timeout")
def payment_timeout(order_id: str) -> bool:
    """The countdown: cancels the order if it is still awaiting payment at its deadline."""
    return expire(order_id)


@app.task(base=SagaStep, name="saga.cancel_overdue")
def cancel_overdue() -> int:
    """Beat, every 30 s on RabbitMQ (a lost countdown can never leave an order waiting for
    ever), every 5 s on Redis, where it is the payment clock (celeryconfig.py). One
    transaction per order: one order's failure does not undo the others' cancellations."""
    with unit_of_work("emarket") as uow:
        ids = orders.overdue(uow)
    return sum(expire(order_id) for order_id in ids)
