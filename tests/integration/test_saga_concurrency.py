"""100 concurrent orders for a product with 10 in stock: exactly 10 complete."""
from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor

from tests.integration.saga_helpers import place, wait_final, wait_status
from tests.support import seed
from web.shop import saga_client


def in_this_context(function):
    """``function`` run, in a pool's thread, with this test's settings in force (a copy of its context)."""
    context = contextvars.copy_context()
    return lambda *args: context.copy().run(function, *args)


def test_hundred_orders_for_ten_units(worker):
    tea = seed.product(count=10, price=100)
    users = [seed.user(balance=1_000) for _ in range(100)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        orders = list(pool.map(in_this_context(lambda u: place(u, [(tea, 1)])), users))
        for order_id in orders:
            assert wait_status(order_id, "awaiting_payment", timeout=120).status == "awaiting_payment"
        outcomes = list(pool.map(in_this_context(lambda pair: saga_client.request_payment(pair[0], pair[1], timeout=60)),
                                 zip(orders, users, strict=False)))
    assert outcomes == ["started"] * 100
    finals = [wait_final(order_id, timeout=180) for order_id in orders]
    completed = [o for o in finals if o.status == "completed"]
    cancelled = [o for o in finals if o.status == "cancelled"]
    assert len(completed) == 10
    assert len(cancelled) == 90 and {o.reason for o in cancelled} == {"out_of_stock"}
    assert seed.stock_of(tea) == (0, 0)
    paid = {o.user_id for o in completed}
    for user in users:
        assert seed.wallet_of(user) == (900 if user in paid else 1_000)
