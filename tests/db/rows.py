"""What the PostgreSQL concurrency tests of this folder share: a product with stock, its
stock now, and whether some session is waiting for a row lock (the moment a test lets the
transaction holding it commit). ``uow_of`` makes a fresh unit of work on the test database."""
from __future__ import annotations

from sqlalchemy import text

from db.emarket import ProductAccounting, ProductDesc


def product(uow_of, count: int) -> int:
    with uow_of() as uow:
        desc = ProductDesc(name="Tea", description="")
        uow.session.add(desc)
        uow.session.flush()
        uow.session.add(ProductAccounting(product_id=desc.id, count=count, reserved=0, price=100))
        return desc.id


def stock_of(uow_of, product_id: int) -> tuple[int, int]:
    """(count, reserved) of the product."""
    with uow_of() as uow:
        row = uow.session.get(ProductAccounting, product_id)
        return row.count, row.reserved


def someone_waits_for_a_lock(uow_of) -> bool:
    with uow_of() as uow:
        return bool(uow.session.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar())
