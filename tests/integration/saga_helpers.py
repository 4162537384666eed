"""Driving a saga from a test the way the web does, and waiting for its outcome."""
from __future__ import annotations

from emarket.order_status import FINAL
from tests.support import seed
from tests.support.wait import wait_until
from web.shop import saga_client


def place(user_id: int, items: list[tuple[int, int]], key: str | None = None) -> str:
    order_id = saga_client.place_order(user_id, [{"product_id": p, "quantity": q} for p, q in items], key).resource_id
    return order_id


def place_and_pay(user_id: int, items: list[tuple[int, int]]) -> str:
    """An order placed, awaited until it awaits payment, and its payment started (phase 2 runs)."""
    order_id = place(user_id, items)
    wait_status(order_id, "awaiting_payment")
    assert saga_client.request_payment(order_id, user_id) == "started"
    return order_id


def wait_status(order_id: str, *statuses: str, timeout: float = 30.0):
    return wait_until(lambda: (o := seed.order(order_id)) is not None and o.status in statuses and o,
                      timeout=timeout, what=f"order {order_id} to become {statuses}")


def wait_final(order_id: str, timeout: float = 30.0):
    return wait_status(order_id, *FINAL, timeout=timeout)


def event_names(order_id: str) -> list[str]:
    return [name for name, _ in seed.events(order_id)]


def placed_and_paid(user_id: int, items: list[tuple[int, int]]):
    """An order placed, paid once it awaits payment, and run to its final status (returned)."""
    order_id = place(user_id, items)
    wait_status(order_id, "awaiting_payment")
    saga_client.request_payment(order_id, user_id)
    return wait_final(order_id)
