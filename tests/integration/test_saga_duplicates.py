"""Every message may arrive twice (acks_late redelivers after a crash): the same final state,
one debit, one reservation."""
from __future__ import annotations

from emarket.saga_events import FORWARD
from tasks import order as order_tasks
from tasks import stock, wallet
from tasks.chains import phase1, phase2_resumed
from tests.integration.saga_helpers import (
    event_names,
    place,
    place_and_pay,
    wait_final,
    wait_status,
)
from tests.support import seed
from web.shop import saga_client


def _again(task, *args):
    return task.apply_async(args, ignore_result=False).get(timeout=20)


def _to_its_end(chain):
    """Send a saga chain whose last step keeps its result (steps keep none by default): the
    returned result is ready only once every step of the chain has run."""
    chain.tasks[-1].set(ignore_result=False)
    return chain.apply_async()


def test_every_step_delivered_twice_changes_nothing(worker):
    user = seed.user(balance=5_000)
    tea = seed.product(count=5, price=300)
    order_id = place_and_pay(user, [(tea, 2)])
    assert wait_final(order_id).status == "completed"
    ctx = {"order_id": order_id, "user_id": user, "items": [[tea, 2]], "total": 600, "cid": None}

    _again(order_tasks.register, ctx)
    prices = _again(stock.check, ctx)["prices"]
    _again(order_tasks.await_payment, {**ctx, "prices": prices})
    assert _again(order_tasks.start_payment, ctx)["outcome"] == "already_started"
    _again(stock.reserve, ctx)
    _again(wallet.charge, ctx)
    _again(order_tasks.complete, ctx)

    order = seed.order(order_id)
    assert (order.status, order.total) == ("completed", 600)
    assert seed.stock_of(tea) == (3, 0)
    assert seed.wallet_of(user) == 4_400
    assert len(seed.entries(order_id, "debit")) == 1 and len(seed.reservations(order_id)) == 1
    assert event_names(order_id) == list(FORWARD)


def test_whole_saga_published_twice_at_once(worker):
    """Both phases' chains sent twice, racing each other on two worker processes."""
    user = seed.user(balance=5_000)
    tea = seed.product(count=5, price=300)
    order_id = saga_client.place_order(user, [{"product_id": tea, "quantity": 1}], None).resource_id
    ctx = {"order_id": order_id, "user_id": user, "items": [[tea, 1]], "total": None, "cid": None}
    phase1_again = _to_its_end(phase1(ctx))
    wait_status(order_id, "awaiting_payment")
    assert saga_client.request_payment(order_id, user) == "started"
    full = {**ctx, "total": 300}
    phase2_again = _to_its_end(phase2_resumed(full))
    assert wait_final(order_id).status == "completed"
    # The order is final once the first of the two tails completes it; the other may still be
    # charging. Its last step's result says every duplicate step ran: only then are the books
    # worth reading (a second debit arriving late would otherwise pass unseen).
    phase1_again.get(timeout=30)
    phase2_again.get(timeout=30)
    assert seed.wallet_of(user) == 4_700
    assert len(seed.entries(order_id)) == 1
    assert seed.stock_of(tea) == (4, 0)
    assert event_names(order_id) == list(FORWARD)


def test_compensations_delivered_twice_refund_and_release_once(worker):
    user = seed.user(balance=100)
    tea = seed.product(count=2, price=250)
    order_id = place(user, [(tea, 1)])
    wait_status(order_id, "awaiting_payment")
    saga_client.request_payment(order_id, user)
    assert wait_final(order_id).reason == "insufficient_funds"
    ctx = {"order_id": order_id, "user_id": user}
    for _ in range(2):
        _again(wallet.refund, ctx)
        _again(stock.release, ctx)
        _again(order_tasks.cancel, ctx, "insufficient_funds")
    assert seed.stock_of(tea) == (2, 0) and seed.wallet_of(user) == 100
    assert seed.entries(order_id) == []
    assert event_names(order_id).count("stock_released") == 1
