"""Products: a public catalogue; administrators create and edit (docs/api.md "Shop — Products")."""
from __future__ import annotations

import functools
from typing import Any

from flask import Response, g, jsonify
from flask_openapi3 import APIBlueprint
from flask_openapi3.request import validate_request

from db.emarket import IdempotentRequest
from db.unit_of_work import UnitOfWork
from emarket import catalog
from emarket.config import settings
from emarket.idempotency import Reply
from emarket.storage import unit_of_work
from web.common import idempotency as idempotent
from web.common.api_docs import IdempotencyHeader, errors
from web.common.jwt_setup import auth_optional, auth_required
from web.shop.listing import list_reply
from web.shop.schemas import (
    BEARER,
    OPTIONAL_BEARER,
    PageQuery,
    ProductCreate,
    ProductList,
    ProductOne,
    ProductPath,
    ProductUpdate,
)

bp = APIBlueprint("api_products", __name__)


def _view(product: catalog.Product, admin: bool) -> dict[str, Any]:
    return product.admin_view() if admin else product.public_view()


def _is_admin() -> bool:
    return bool(g.caller and g.caller.is_admin)


def _one(product: catalog.Product, status: int = 200) -> tuple[Response, int]:
    return jsonify({**_view(product, _is_admin()), "currency": settings().currency}), status


@bp.get("/api/products", summary="The catalogue, newest first", security=OPTIONAL_BEARER,
        responses={200: ProductList, **errors(400, 401, 503)})
@auth_optional
@validate_request()
def list_products(query: PageQuery) -> Response:
    admin = _is_admin()
    # Admins see the hidden products too (to show them again); shoppers only the catalogue.
    return list_reply(query, "emarket", "products", functools.partial(catalog.list_products, with_hidden=admin),
                      view=lambda product: _view(product, admin))


@bp.get("/api/products/<int:product_id>", summary="One product", security=OPTIONAL_BEARER,
        responses={200: ProductOne, **errors(401, 404, 503)})
@auth_optional
@validate_request()
def get_product(path: ProductPath) -> tuple[Response, int]:
    with unit_of_work("emarket") as uow:
        product = catalog.get_product(uow, path.product_id, with_hidden=_is_admin())
    return _one(product)


@bp.post("/api/products", summary="Create a product (admin)", security=BEARER,
         responses={201: ProductOne, **errors(400, 401, 403, 409, 413, 422, 503)})
@auth_required(admin=True)
@validate_request()
def create_product(header: IdempotencyHeader, body: ProductCreate) -> Response:

    def render(uow: UnitOfWork, product_id: str) -> Reply:
        product = catalog.get_product(uow, int(product_id))
        view = {**product.admin_view(), "currency": settings().currency}
        return idempotent.json_reply(201, view, f"/api/products/{product.id}")

    return idempotent.create_once(
        "emarket", IdempotentRequest, f"user:{g.caller.id}", header.idempotency_key, body.model_dump(),
        lambda uow: str(catalog.create_product(uow, **body.model_dump()).id), render)


@bp.patch("/api/products/<int:product_id>", summary="Edit a product (admin); count sets the units on hand",
          security=BEARER, responses={200: ProductOne, **errors(400, 401, 403, 404, 409, 413, 503)})
@auth_required(admin=True)
@validate_request()
def update_product(path: ProductPath, body: ProductUpdate) -> tuple[Response, int]:
    # A count below the units reserved is a conflict with the stock's current state (409), not
    # a malformed request: it may succeed once the payments in progress complete or are released.
    with unit_of_work("emarket") as uow:
        product = catalog.update_product(uow, path.product_id, **body.model_dump(exclude_none=True))
    return _one(product)
