"""The operator's saga commands, on an order that went through the real saga."""
from __future__ import annotations

from click.testing import CliRunner

from emarket.cli import main
from tests.integration.saga_helpers import place, wait_final, wait_status
from tests.support import seed
from web.shop import saga_client


def test_show_prints_the_timeline_in_order(worker):
    user = seed.user(balance=1_000)
    order_id = place(user, [(seed.product(price=100), 1)])
    wait_status(order_id, "awaiting_payment")
    saga_client.request_payment(order_id, user)
    wait_final(order_id)
    out = CliRunner().invoke(main, ["saga", "show", order_id])
    assert out.exit_code == 0, out.output
    assert "status completed" in out.output
    steps = [line.split()[1] for line in out.output.splitlines()[2:]]
    assert steps == ["accepted", "registered", "stock_checked", "awaiting_payment",
                     "payment_started", "stock_reserved", "money_charged", "completed"]


def test_show_unknown_order_fails(worker):
    out = CliRunner().invoke(main, ["saga", "show", "nope"])
    assert out.exit_code != 0 and "no order nope" in out.output


def test_stuck_lists_running_sagas_past_the_bound(worker):
    import uuid

    from db.emarket import Order
    from emarket.storage import unit_of_work

    order_id = str(uuid.uuid4())
    with unit_of_work("emarket") as uow:  # an order nobody is driving (its message lost)
        uow.session.add(Order(id=order_id, user_id=seed.user(), status="accepted"))
    out = CliRunner().invoke(main, ["saga", "stuck", "--older-than", "0"])
    assert out.exit_code == 0 and order_id in out.output
    out = CliRunner().invoke(main, ["saga", "stuck", "--older-than", "3600"])
    assert order_id not in out.output
