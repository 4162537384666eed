"""The order's steps and their compare-and-set status changes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from db.base import utcnow
from db.emarket import Order
from emarket import order, saga_events
from emarket.errors import InvalidTransition


def _placed(uow, user=1, items=({"product_id": 7, "quantity": 2},)):
    with uow("emarket") as u:
        return order.place(u, user, list(items))


def _to_awaiting(uow, order_id, timeout=300):
    with uow("emarket") as u:
        order.register(u, order_id)
    with uow("emarket") as u:
        return order.await_payment(u, order_id, {"7": 150}, timeout)


def test_place_stores_accepted_with_its_first_event(uow):
    placed = _placed(uow)
    assert placed.ctx.items == ((7, 2),)
    with uow("emarket") as u:
        assert u.session.get(Order, placed.order_id).status == "accepted"
        assert saga_events.names(u, placed.order_id) == ["accepted"]


def test_await_payment_prices_and_sets_the_deadline_once(uow):
    placed = _placed(uow)
    deadline = _to_awaiting(uow, placed.order_id)
    with uow("emarket") as u:
        o = u.session.get(Order, placed.order_id)
        assert (o.status, o.total, o.payment_deadline) == ("awaiting_payment", 300, deadline)
        # a redelivery finds its own result
        assert order.await_payment(u, placed.order_id, {"7": 150}, 300) == deadline


def test_start_payment_compare_and_set(uow):
    placed = _placed(uow)
    _to_awaiting(uow, placed.order_id)
    with uow("emarket") as u:
        assert order.start_payment(u, placed.order_id, 2, "r0") == ("not_found", None)
        outcome, ctx = order.start_payment(u, placed.order_id, 1, "r1")
        assert outcome == "started" and ctx.total == 300
    with uow("emarket") as u:
        assert order.start_payment(u, placed.order_id, 1, "r1")[0] == "started"  # redelivery
        assert order.start_payment(u, placed.order_id, 1, "r2")[0] == "already_started"
        assert order.cancel_by_user(u, placed.order_id, 1) == "not_cancellable"


def test_payment_after_the_deadline_is_refused_and_the_clock_wins(uow):
    placed = _placed(uow)
    _to_awaiting(uow, placed.order_id)
    with uow("emarket") as u:
        u.session.execute(update(Order).values(payment_deadline=utcnow() - timedelta(seconds=1)))
    with uow("emarket") as u:
        assert order.start_payment(u, placed.order_id, 1, "r1")[0] == "not_payable"
        assert order.expire_payment(u, placed.order_id) is True
        assert order.expire_payment(u, placed.order_id) is False
    with uow("emarket") as u:
        o = u.session.get(Order, placed.order_id)
        assert (o.status, o.reason) == ("cancelled", "payment_timeout")


def test_clock_does_nothing_before_the_deadline_or_after_payment(uow):
    placed = _placed(uow)
    _to_awaiting(uow, placed.order_id)
    with uow("emarket") as u:
        assert order.expire_payment(u, placed.order_id) is False
        order.start_payment(u, placed.order_id, 1, "r1")
        u.session.execute(update(Order).values(payment_deadline=utcnow() - timedelta(seconds=1)))
        assert order.expire_payment(u, placed.order_id) is False


def test_user_cancel_only_while_awaiting_payment(uow):
    placed = _placed(uow)
    with uow("emarket") as u:
        assert order.cancel_by_user(u, placed.order_id, 1) == "not_cancellable"
    _to_awaiting(uow, placed.order_id)
    with uow("emarket") as u:
        assert order.cancel_by_user(u, placed.order_id, 1) == "cancelled"
        assert order.cancel_by_user(u, placed.order_id, 1) == "already_cancelled"
        assert order.start_payment(u, placed.order_id, 1, "r")[0] == "not_payable"


def test_cancel_moves_only_an_order_claimed_for_compensation(uow):
    """Twins in the same status: the one a compensation claimed is cancelled, the other is
    refused by the compare-and-set and goes on untouched."""
    claimed, unclaimed = _placed(uow), _placed(uow)
    with uow("emarket") as u:
        assert order.claim_for_compensation(u, claimed.order_id, order.PHASE1_RUNNING, "out_of_stock", None) == "out_of_stock"
        assert order.cancel(u, claimed.order_id, "out_of_stock") is True
        assert order.cancel(u, unclaimed.order_id, "out_of_stock") is False
    with uow("emarket") as u:
        assert u.session.get(Order, claimed.order_id).status == "cancelled"
        assert u.session.get(Order, unclaimed.order_id).status == "accepted"
        assert "cancelled" not in saga_events.names(u, unclaimed.order_id)
        order.register(u, unclaimed.order_id)  # its forward steps still run
        assert u.session.get(Order, unclaimed.order_id).status == "processing"


def test_cancelled_order_cannot_be_registered_or_completed(uow):
    placed = _placed(uow)
    with uow("emarket") as u:
        order.claim_for_compensation(u, placed.order_id, order.PHASE1_RUNNING, "out_of_stock", None)
        assert order.cancel(u, placed.order_id, "out_of_stock") is True
        assert order.cancel(u, placed.order_id, "failed") is False
    with pytest.raises(InvalidTransition):
        with uow("emarket") as u:
            order.register(u, placed.order_id)
    with pytest.raises(InvalidTransition):
        with uow("emarket") as u:
            order.complete(u, placed.order_id)
    with pytest.raises(ValueError):
        with uow("emarket") as u:
            order.cancel(u, placed.order_id, "because")


def _paying(uow):
    placed = _placed(uow)
    _to_awaiting(uow, placed.order_id)
    with uow("emarket") as u:
        order.start_payment(u, placed.order_id, 1, "r1")
    return placed.order_id


def test_compensation_claims_the_order_and_completion_then_cannot_win(uow):
    order_id = _paying(uow)
    with uow("emarket") as u:
        assert order.claim_for_compensation(u, order_id, order.PHASE2_RUNNING, "insufficient_funds", "charge_failed") == "insufficient_funds"
        # a twin callback compensates again with the first decision, and records nothing new
        assert order.claim_for_compensation(u, order_id, order.PHASE2_RUNNING, "failed", "completion_failed") == "insufficient_funds"
        assert saga_events.names(u, order_id)[-1] == "charge_failed"
    with pytest.raises(InvalidTransition):
        with uow("emarket") as u:
            order.complete(u, order_id)
    with uow("emarket") as u:
        assert u.session.get(Order, order_id).status == "payment_started"


def test_a_failure_after_completion_undoes_nothing(uow):
    order_id = _paying(uow)
    with uow("emarket") as u:
        assert order.complete(u, order_id) is True
        assert order.claim_for_compensation(u, order_id, order.PHASE2_RUNNING, "failed", "completion_failed") is None
        assert "completion_failed" not in saga_events.names(u, order_id)


def test_a_late_phase1_failure_leaves_a_paying_order_alone(uow):
    order_id = _paying(uow)
    with uow("emarket") as u:
        assert order.claim_for_compensation(u, order_id, order.PHASE1_RUNNING, "out_of_stock", "stock_check_failed") is None
        assert u.session.get(Order, order_id).status == "payment_started"
        assert "stock_check_failed" not in saga_events.names(u, order_id)
