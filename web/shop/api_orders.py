"""Orders (docs/api.md "Shop — Orders"). Whatever moves an order goes through the saga: these views
only validate, ask the order service over the broker (tasks.requests) and translate its answer
into HTTP; reading goes through emarket.queries."""
from __future__ import annotations


from flask import Blueprint, g, jsonify

from db.emarket import IdempotentRequest
from emarket import idempotency, queries
from emarket.config import settings
from emarket.errors import NotFound
from emarket.storage import unit_of_work
from web.common import idempotency as idempotent
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
    """A malformed id names nothing: 404, like an unknown one (docs/api.md)."""
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


def _correlation_id() -> str:
    return request_log.correlation_id()  # the request's (X-Correlation-ID or fresh)


def _unavailable() -> ApiError:
    return ApiError(503, "unavailable", "the order service did not answer in time; retry",
                    headers={"Retry-After": "1"})


@bp.post("/api/orders")
@auth_required()
def place_order():
    query = parse_query(OrderCreateQuery)
    key = idempotent.key()
    body = parse_json_body(OrderCreate)
    user_id, waits = g.caller.id, float(query.wait or 0)

    def accepted(uow, order_id: str):  # rendered in the transaction that stores the order
        return _order_reply(queries.order_view(uow, order_id, user_id), order_id, settled_is_200=False)

    def after_wait(order_id: str):
        saga_requests.wait_for_phase1(order_id, waits)
        return _order_reply(order_view(order_id, user_id), order_id, settled_is_200=waits > 0)

    outcome = saga_requests.place_order(user_id, [item.model_dump() for item in body.items], key,
                                        correlation_id=_correlation_id(), reply=None if waits else accepted)
    if not outcome.created:
        return idempotent.replay("emarket", IdempotentRequest, f"user:{user_id}", key, outcome.earlier,
                                 resume=after_wait, wait_for_twin=waits + settings().reply_timeout)
    if outcome.reply is not None:
        return idempotent.respond(outcome.reply)
    reply = after_wait(outcome.resource_id)
    if key is not None:
        idempotency.store_reply("emarket", IdempotentRequest, f"user:{user_id}", key, reply)
    return idempotent.respond(reply)


def _order_reply(view: dict, order_id: str, settled_is_200: bool):
    """202 with the order as it stands; 200 once a ``?wait`` saw phase 1 settle."""
    view = {**view, "currency": settings().currency}
    status = 200 if settled_is_200 and view["status"] in SETTLED else 202
    return idempotent.json_reply(status, view, f"/api/orders/{order_id}")


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
