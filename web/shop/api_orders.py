"""Orders (API.md "Shop — Orders"). Whatever moves an order goes through the saga: these views
only validate, ask the order service over the broker (tasks.requests) and translate its answer
into HTTP; reading goes through emarket.queries."""
from __future__ import annotations


from flask import Blueprint, g, jsonify, request

from emarket import queries
from emarket.config import settings
from emarket.errors import Conflict, IdempotencyConflict, NotFound
from emarket.storage import unit_of_work
from web.common import request_log
from web.common.errors import ApiError
from web.common.jwt_setup import auth_required
from web.common.validation import EmptyBody, parse_json_body, parse_query
from tasks import requests as saga_requests
from web.shop.schemas import OrderCreate, OrderCreateQuery, PageQuery

bp = Blueprint("api_orders", __name__)

SETTLED = ("awaiting_payment", "payment_started", "completed", "cancelled")


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no such order")


def _order_id(raw: str) -> str:
    """A malformed id names nothing: 404, like an unknown one (API.md)."""
    canonical = queries.valid_order_id(raw)
    if canonical is None:
        raise _not_found()
    return canonical


def order_view(order_id: str, user_id: int) -> dict:
    try:
        with unit_of_work("emarket") as uow:
            view = queries.order_view(uow, order_id, user_id)
    except NotFound:
        raise _not_found() from None
    return {**view, "currency": settings().currency}


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 255:
        raise ApiError(400, "invalid_request", "Idempotency-Key must be 1..255 characters")
    return key


def _correlation_id() -> str:
    return request_log.correlation_id()  # the request's (X-Correlation-ID or fresh)


def _unavailable() -> ApiError:
    return ApiError(503, "unavailable", "the order service did not answer in time; retry",
                    headers={"Retry-After": "1"})


@bp.post("/api/orders")
@auth_required()
def place_order():
    query = parse_query(OrderCreateQuery)
    key = _idempotency_key()
    body = parse_json_body(OrderCreate)
    items = [item.model_dump() for item in body.items]
    try:
        order_id, _created = saga_requests.place_order(g.caller.id, items, key, correlation_id=_correlation_id())
    except IdempotencyConflict:
        raise ApiError(422, "idempotency_key_reused",
                       "this Idempotency-Key was used with another body") from None
    except Conflict:
        raise ApiError(409, "request_in_progress", "the first request with this key is still being handled") from None
    if query.wait:
        saga_requests.wait_for_phase1(order_id, float(query.wait))
    view = order_view(order_id, g.caller.id)
    status = 200 if query.wait and view["status"] in SETTLED else 202
    response = jsonify(view)
    response.status_code = status
    response.headers["Location"] = f"/api/orders/{order_id}"
    return response


@bp.get("/api/orders")
@auth_required()
def list_orders():
    query = parse_query(PageQuery)
    try:
        with unit_of_work("emarket") as uow:
            orders, following = queries.list_orders(uow, g.caller.id, limit=query.limit, cursor=query.cursor)
    except queries.BadCursor:
        raise ApiError(400, "invalid_cursor", "the cursor is not one this service issued") from None
    return jsonify({"orders": orders, "currency": settings().currency, "next": following})


@bp.get("/api/orders/<order_id>")
@auth_required()
def get_order(order_id: str):
    return jsonify(order_view(_order_id(order_id), g.caller.id))


@bp.post("/api/orders/<order_id>/payment")
@auth_required()
def pay(order_id: str):
    order_id = _order_id(order_id)
    parse_json_body(EmptyBody, allow_empty=True)
    try:
        outcome = saga_requests.request_payment(order_id, g.caller.id, correlation_id=_correlation_id())
    except saga_requests.ReplyTimeout:
        raise _unavailable() from None
    if outcome == "started":
        return jsonify({"id": order_id, "status": "payment_started"}), 202
    if outcome == "already_started":
        return jsonify(order_view(order_id, g.caller.id)), 200
    if outcome == "not_payable":
        raise ApiError(409, "order_not_payable", "the order is not awaiting payment")
    raise _not_found()


@bp.post("/api/orders/<order_id>/cancel")
@auth_required()
def cancel(order_id: str):
    order_id = _order_id(order_id)
    parse_json_body(EmptyBody, allow_empty=True)
    try:
        outcome = saga_requests.request_cancel(order_id, g.caller.id, correlation_id=_correlation_id())
    except saga_requests.ReplyTimeout:
        raise _unavailable() from None
    if outcome == "cancelled":
        return jsonify({"id": order_id, "status": "cancelled"}), 202
    if outcome == "already_cancelled":
        return jsonify(order_view(order_id, g.caller.id)), 200
    if outcome == "not_cancellable":
        raise ApiError(409, "order_not_cancellable", "only an order awaiting payment can be cancelled")
    raise _not_found()
