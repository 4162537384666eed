"""What the operators' saga console reads, produced by the real saga: every step's event names
its Celery task, worker and attempt; a failed step's event its error; and "Resume" re-drives a
stuck saga exactly as the stuck-saga sweep does, and only a stuck one."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from db.base import utcnow
from db.emarket import Order, OrderItem, SagaEvent
from emarket import saga_events
from emarket.storage import unit_of_work
from tests.integration.saga_helpers import (
    place_and_pay,
    placed_and_paid,
    wait_final,
    wait_status,
)
from tests.support import seed
from web.shop import saga_client


def _runs(order_id: str) -> dict[str, SagaEvent]:
    with unit_of_work("emarket") as uow:
        rows = uow.session.scalars(select(SagaEvent).where(SagaEvent.order_id == order_id)).all()
        uow.session.expunge_all()
        return {row.name: row for row in rows}


def test_every_step_names_its_task_worker_and_attempt(worker):
    user = seed.user(balance=1_000)
    order_id = place_and_pay(user, [(seed.product(price=100), 2)])
    wait_final(order_id)
    runs = _runs(order_id)
    assert set(runs) == set(saga_events.FORWARD)
    assert runs["accepted"].task_id is None  # stored by the shop itself, before any task ran
    for name in saga_events.FORWARD[1:]:
        assert runs[name].task_id and runs[name].worker == worker.name and runs[name].attempt == 1, name
        assert runs[name].error is None
    assert len({runs[name].task_id for name in ("stock_checked", "stock_reserved", "money_charged")}) == 3


def test_a_failed_step_names_its_task_worker_attempt_and_error(worker):
    user = seed.user(balance=50)
    final = placed_and_paid(user, [(seed.product(price=100), 1)])
    order_id = final.id
    assert final.reason == "insufficient_funds"
    runs = _runs(order_id)
    failed = runs["charge_failed"]
    assert failed.task_id and failed.task_id != runs["cancelled"].task_id
    assert (failed.worker, failed.attempt) == (worker.name, 1)
    assert failed.error.startswith("InsufficientFunds")


def test_resume_redrives_a_stuck_saga_once(worker):
    user, tea = seed.user(), seed.product(price=100)
    order_id, long_ago = str(uuid.uuid4()), utcnow() - timedelta(hours=1)
    with unit_of_work("emarket") as uow:  # accepted, its phase-1 message lost an hour ago
        uow.session.add(Order(id=order_id, user_id=user, status="accepted", created_at=long_ago, updated_at=long_ago))
        uow.session.flush()
        uow.session.add(OrderItem(order_id=order_id, product_id=tea, quantity=1))
    assert saga_client.request_resume(order_id) is True
    assert wait_status(order_id, "awaiting_payment").total == 100
    assert saga_client.request_resume(order_id) is False  # no longer stuck: nothing is sent again
    assert saga_client.request_resume(str(uuid.uuid4())) is False
