"""The catalogue: an administrator's plain edits of products (name, description, price, units
on hand). These move no order, so they run directly, not through the saga (docs/architecture.md).

A product is two rows: ``product_desc`` (what it is) and ``product_accounting`` (price, stock).
``available = count - reserved``; ``reserved`` belongs to the saga and is never set here.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.emarket import ProductAccounting, ProductDesc
from db.unit_of_work import UnitOfWork
from emarket import pagination
from emarket.errors import Conflict, NotFound

# Beyond a signed 64-bit integer nothing can exist; callers get NotFound instead of a DB error.
MAX_ID = 2**63 - 1


class CountBelowReserved(Conflict):
    """The units on hand may not drop below the units held by payments in progress."""

    default_reason = "count_below_reserved"


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    description: str
    price: int
    count: int
    reserved: int
    hidden: bool = False

    @property
    def available(self) -> int:
        return self.count - self.reserved

    def public_view(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description,
                "price": self.price, "available": self.available}

    def admin_view(self) -> dict[str, Any]:
        return {**self.public_view(), "count": self.count, "reserved": self.reserved, "hidden": self.hidden}


def _product(desc: ProductDesc, acc: ProductAccounting) -> Product:
    return Product(id=desc.id, name=desc.name, description=desc.description or "",
                   price=acc.price, count=acc.count, reserved=acc.reserved, hidden=bool(desc.hidden))


def create_product(uow: UnitOfWork, *, name: str, price: int, count: int, description: str = "") -> Product:
    desc = ProductDesc(name=name, description=description, hidden=False)
    uow.session.add(desc)
    uow.session.flush()  # the id, for the accounting row
    acc = ProductAccounting(product_id=desc.id, price=price, count=count, reserved=0)
    uow.session.add(acc)
    uow.session.flush()
    return _product(desc, acc)


def _rows(uow: UnitOfWork, product_id: int, for_update: bool = False) -> tuple[ProductDesc, ProductAccounting]:
    if not 0 < product_id <= MAX_ID:
        raise NotFound(detail=f"no product {product_id}")
    query = (select(ProductDesc, ProductAccounting)
             .join(ProductAccounting, ProductAccounting.product_id == ProductDesc.id)
             .where(ProductDesc.id == product_id))
    if for_update:
        # Lock the stock row so a concurrent reservation cannot slip under the new count.
        query = query.with_for_update(of=ProductAccounting)
    row = uow.session.execute(query).first()
    if row is None:
        raise NotFound(detail=f"no product {product_id}")
    return row


def get_product(uow: UnitOfWork, product_id: int, with_hidden: bool = True) -> Product:
    """One product; ``with_hidden=False`` (what shoppers may see) makes a hidden one NotFound."""
    found = _product(*_rows(uow, product_id))
    if found.hidden and not with_hidden:
        raise NotFound(detail=f"no product {product_id}")
    return found


def update_product(uow: UnitOfWork, product_id: int, *, name: str | None = None,
                   description: str | None = None, price: int | None = None,
                   count: int | None = None, hidden: bool | None = None) -> Product:
    """Only the given fields change. ``count`` sets the units on hand; it may not go below
    what payments in progress have reserved (CountBelowReserved)."""
    desc, acc = _rows(uow, product_id, for_update=True)
    if count is not None and count < acc.reserved:
        raise CountBelowReserved(detail=f"count {count} is below the {acc.reserved} units reserved")
    if name is not None:
        desc.name = name
    if description is not None:
        desc.description = description
    if hidden is not None:
        desc.hidden = hidden
    if price is not None:
        acc.price = price
    if count is not None:
        acc.count = count
    try:
        uow.session.flush()
    except IntegrityError:
        # The database's reserved_within_count check is the last word if a race got past us.
        raise CountBelowReserved(detail="count is below the units reserved") from None
    return _product(desc, acc)


def list_products(uow: UnitOfWork, *, limit: int, cursor: str | None = None,
                  with_hidden: bool = False) -> tuple[list[Product], str | None]:
    """Newest first (ids only grow), keyset-paginated on the id. A bad cursor raises BadCursor.
    Hidden products are left out unless ``with_hidden`` (the admin's list)."""
    query = (select(ProductDesc, ProductAccounting)
             .join(ProductAccounting, ProductAccounting.product_id == ProductDesc.id))
    if not with_hidden:
        query = query.where(ProductDesc.hidden.is_(False))
    rows, following = pagination.page(uow.session, query, (ProductDesc.id,), cursor, limit, scalars=False)
    return [_product(d, a) for d, a in rows], following


def products_by_id(uow: UnitOfWork, product_ids: Iterable[int]) -> dict[int, Product]:
    """The products among ``product_ids`` that exist, by id (one query; a cart, an order's lines)."""
    wanted = {int(i) for i in product_ids if 0 < int(i) <= MAX_ID}
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(ProductDesc, ProductAccounting)
        .join(ProductAccounting, ProductAccounting.product_id == ProductDesc.id)
        .where(ProductDesc.id.in_(wanted))).all()
    return {desc.id: _product(desc, acc) for desc, acc in rows}
