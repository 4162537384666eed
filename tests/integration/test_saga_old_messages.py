"""Messages the previous version queued (a deploy with orders in flight, countdowns waiting in
the broker) and messages left over for orders that no longer exist (a database emptied under
a queue): the workers accept both.

The previous version's messages are built here by task name with the plain dicts it carried,
not with ``SagaContext``: exactly what sits in a queue after such a deploy."""
from __future__ import annotations

import json
import uuid

from celery import chain

from tests.integration.saga_helpers import event_names, place, wait_final, wait_status
from tests.support import seed
from tests.support.wait import wait_until


def _old(app, name: str, *args):
    return app.signature(name, args=args)


def test_a_phase_1_chain_of_the_previous_version_prices_the_order(worker, celery_app):
    user = seed.user(balance=1_000)
    tea = seed.product(count=3, price=120)
    order_id = place(user, [(tea, 2)])
    wait_status(order_id, "awaiting_payment")  # its own phase 1; the old one below repeats it
    ctx = {"order_id": order_id, "user_id": user, "items": [[tea, 2]], "total": None, "cid": "old-cid"}
    chain(
        _old(celery_app, "order.register", ctx).on_error(_old(celery_app, "saga.step_failed", ctx, "registration_failed", 1)),
        _old(celery_app, "product.check").on_error(_old(celery_app, "saga.step_failed", ctx, "stock_check_failed", 1)),
        _old(celery_app, "order.await_payment").on_error(_old(celery_app, "saga.step_failed", ctx, None, 1)),
    ).apply_async()
    # A message between two steps, as the previous product.check returned it (prices by string id).
    priced = _old(celery_app, "order.await_payment", {**ctx, "prices": {str(tea): 120}})
    assert priced.apply_async(ignore_result=False).get(timeout=20)["order_id"] == order_id
    wait_until(lambda: "step done" in worker.log() and any(
        json.loads(line).get("cid") == "old-cid" and json.loads(line).get("task") == "order.await_payment"
        for line in worker.log().splitlines() if order_id in line and line.startswith("{")),
        timeout=20, what="the old chain's last step, logged with its correlation id")
    order = seed.order(order_id)
    assert (order.status, order.total, order.reason) == ("awaiting_payment", 240, None)


def test_a_phase_2_chain_of_the_previous_version_compensates_with_its_partial_context(worker, celery_app):
    """Its error callbacks bound only the order, the user and the correlation id."""
    user = seed.user(balance=100)
    tea = seed.product(count=2, price=250)
    order_id = place(user, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    partial = {"order_id": order_id, "user_id": user, "cid": None}

    def step(name, failed_event):
        return _old(celery_app, name).on_error(_old(celery_app, "saga.step_failed", partial, failed_event, 2))

    chain(_old(celery_app, "order.start_payment", partial), step("product.reserve", "stock_reservation_failed"),
          step("money.charge", "charge_failed"), step("order.complete", "completion_failed")).apply_async()
    order = wait_final(order_id)
    assert (order.status, order.reason) == ("cancelled", "insufficient_funds")
    assert seed.stock_of(tea) == (2, 0) and seed.wallet_of(user) == 100
    assert {"charge_failed", "stock_released", "cancelled"} <= set(event_names(order_id))


def test_a_compensation_of_the_previous_version_is_read_and_decided(worker, celery_app):
    user = seed.user(balance=0)
    tea = seed.product(count=1, price=100)
    order_id = place(user, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    failure = {"reason": "out_of_stock", "task_id": "t", "worker": "w", "attempt": 1, "error": "OutOfStock"}
    _old(celery_app, "saga.compensate", failure, {"order_id": order_id, "user_id": user}, "stock_check_failed",
         2).apply_async()
    # Phase 2 had not started: the late phase-2 failure finds nothing to undo.
    wait_until(lambda: f'"order_id": "{order_id}", "event": "stock_check_failed"' in worker.log(),
               timeout=20, what="the compensation's log line")
    assert seed.order(order_id).status == "awaiting_payment"


def _warnings_about(worker, order_id: str) -> list[dict]:
    lines = [json.loads(line) for line in worker.log().splitlines() if order_id in line and line.startswith("{")]
    return [line for line in lines if line["level"] in ("WARNING", "ERROR")]


def test_steps_and_compensations_for_an_order_that_does_not_exist_are_one_warning_each(worker, celery_app):
    """A leftover message after the database was emptied: acked, nothing written, no compensation."""
    order_id = str(uuid.uuid4())
    ctx = {"order_id": order_id, "user_id": 1, "items": [[1, 1]], "total": 100, "cid": None}
    messages = [
        _old(celery_app, "order.register", ctx).on_error(_old(celery_app, "saga.step_failed", ctx, "registration_failed", 1)),
        _old(celery_app, "product.check", ctx).on_error(_old(celery_app, "saga.step_failed", ctx, "stock_check_failed", 1)),
        _old(celery_app, "order.complete", ctx),
        _old(celery_app, "saga.compensate", {"reason": "not_found", "task_id": "t"}, ctx, "registration_failed", 1),
        _old(celery_app, "saga.compensate", {"reason": "failed", "task_id": "t"}, ctx, "charge_failed", 2),
    ]
    for message in messages:
        result = message.apply_async(ignore_result=False)
        assert result.get(timeout=20) is None and result.state == "SUCCESS"
    warnings = wait_until(lambda: len(w := _warnings_about(worker, order_id)) >= len(messages) and w,
                          timeout=10, what="a warning per leftover message")
    assert [w["msg"] for w in warnings] == ["saga step for an order that does not exist: ignored"] * len(messages)
    assert [w["task"] for w in warnings] == [m.name for m in messages]
    assert seed.order(order_id) is None and seed.events(order_id) == []
