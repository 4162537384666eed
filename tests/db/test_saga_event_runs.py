"""A saga event names the step run that recorded it (task id, worker, attempt, a failure's
error), and recording stays idempotent: a redelivered step's
second run neither adds a row nor overwrites the first run's name."""
from __future__ import annotations

from sqlalchemy import select

from db.emarket import Order, SagaEvent
from emarket import saga_events
from emarket.saga_events import StepRun

ORDER_ID = "22222222-2222-4222-8222-222222222222"


def _order(uow_factory):
    with uow_factory("emarket") as uow:
        uow.session.add(Order(id=ORDER_ID, user_id=1, status="processing"))


def _events(uow_factory) -> dict[str, SagaEvent]:
    with uow_factory("emarket") as uow:
        rows = uow.session.scalars(select(SagaEvent).where(SagaEvent.order_id == ORDER_ID)).all()
        uow.session.expunge_all()
        return {row.name: row for row in rows}


def test_an_event_names_the_running_step_and_a_redelivery_changes_nothing(uow_factory):
    _order(uow_factory)
    first = StepRun(task_id="task-1", worker="celery@product-1", attempt=3)
    with uow_factory("emarket") as uow, saga_events.running_step(first):
        assert saga_events.record(uow, ORDER_ID, "stock_checked")
    with uow_factory("emarket") as uow, saga_events.running_step(StepRun(task_id="task-2", worker="w2", attempt=1)):
        assert not saga_events.record(uow, ORDER_ID, "stock_checked")
    event = _events(uow_factory)["stock_checked"]
    assert (event.task_id, event.worker, event.attempt, event.error) == ("task-1", "celery@product-1", 3, None)


def test_an_event_outside_a_step_names_no_run_and_a_failure_names_the_failed_one(uow_factory):
    _order(uow_factory)
    failed = StepRun(task_id="task-9", worker="celery@money-1", attempt=9, error="TransientError: " + "x" * 900)
    with uow_factory("emarket") as uow, saga_events.running_step(StepRun(task_id="compensation")):
        saga_events.record(uow, ORDER_ID, "charge_failed", "failed", failed)
    with uow_factory("emarket") as uow:
        saga_events.record(uow, ORDER_ID, "accepted")
    events = _events(uow_factory)
    assert (events["accepted"].task_id, events["accepted"].worker, events["accepted"].attempt) == (None, None, None)
    charge = events["charge_failed"]
    assert (charge.task_id, charge.worker, charge.attempt) == ("task-9", "celery@money-1", 9)
    assert charge.error.startswith("TransientError: x") and len(charge.error) == 500
