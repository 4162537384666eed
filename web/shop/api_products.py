"""Products: a public catalogue; administrators create and edit (docs/api.md "Shop — Products")."""
from __future__ import annotations


from flask import Blueprint, g, jsonify

from db.emarket import IdempotentRequest
from emarket import catalog
from emarket.config import settings
from emarket.storage import unit_of_work
from web.common import idempotency as idempotent
from web.common.jwt_setup import auth_optional, auth_required
from web.common.validation import parse_json_body
from web.shop.schemas import ProductCreate, ProductUpdate
from web.shop.listing import list_reply

bp = Blueprint("api_products", __name__)


def _view(product: catalog.Product, admin: bool) -> dict:
    return product.admin_view() if admin else product.public_view()


def _is_admin() -> bool:
    return bool(g.caller and g.caller.is_admin)


def _one(product: catalog.Product, status: int = 200):
    return jsonify({**_view(product, _is_admin()), "currency": settings().currency}), status


@bp.get("/api/products")
@auth_optional
def list_products():
    admin = _is_admin()
    return list_reply("emarket", "products", catalog.list_products, view=lambda product: _view(product, admin))


@bp.get("/api/products/<int:product_id>")
@auth_optional
def get_product(product_id: int):
    with unit_of_work("emarket") as uow:
        product = catalog.get_product(uow, product_id)
    return _one(product)


@bp.post("/api/products")
@auth_required(admin=True)
def create_product():
    body = parse_json_body(ProductCreate)

    def render(uow, product_id: str):
        product = catalog.get_product(uow, int(product_id))
        view = {**product.admin_view(), "currency": settings().currency}
        return idempotent.json_reply(201, view, f"/api/products/{product.id}")

    return idempotent.create_once(
        "emarket", IdempotentRequest, f"user:{g.caller.id}", body.model_dump(),
        lambda uow: str(catalog.create_product(uow, **body.model_dump()).id), render)


@bp.patch("/api/products/<int:product_id>")
@auth_required(admin=True)
def update_product(product_id: int):
    body = parse_json_body(ProductUpdate)
    # A count below the units reserved is a conflict with the stock's current state (409), not
    # a malformed request: it may succeed once the payments in progress complete or are released.
    with unit_of_work("emarket") as uow:
        product = catalog.update_product(uow, product_id, **body.model_dump(exclude_none=True))
    return _one(product)
