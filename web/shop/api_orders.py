"""Orders (docs/api.md "Shop — Orders"). Whatever moves an order goes through the saga: these views
only validate, ask the order service over the broker (web.shop.saga_client) and translate its answer
into HTTP; reading goes through emarket.queries."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Response, g, jsonify
from flask_openapi3 import APIBlueprint
from flask_openapi3.request import validate_request

from db.emarket import IdempotentRequest
from db.unit_of_work import UnitOfWork
from emarket import idempotency, order_status, queries
from emarket.config import settings
from emarket.idempotency import Reply
from emarket.storage import unit_of_work
from web.common import idempotency as idempotent
from web.common import request_log
from web.common.api_docs import IdempotencyHeader, errors, with_headers
from web.common.errors import ApiError
from web.common.jwt_setup import auth_required
from web.common.validation import EmptyBody
from web.shop import saga_client
from web.shop.listing import list_reply
from web.shop.schemas import (
    BEARER,
    OrderCancelled,
    OrderCreate,
    OrderCreateQuery,
    OrderList,
    OrderOut,
    OrderPath,
    PageQuery,
    PaymentStarted,
)

bp = APIBlueprint("api_orders", __name__)
# Pay and cancel: 202 when this request moved the order, 200 with the order when it had moved before.
_MOVED = {200: OrderOut, **errors(400, 401, 404, 409, 413, 503)}


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no such order")


def _order_id(raw: str) -> str:
    """A malformed id names nothing: 404, like an unknown one (docs/api.md)."""
    canonical = queries.valid_order_id(raw)
    if canonical is None:
        raise _not_found()
    return canonical


def order_view(order_id: str, user_id: int) -> dict[str, Any]:
    with unit_of_work("emarket") as uow:
        view = queries.order_view(uow, order_id, user_id)
    return {**view, "currency": settings().currency}


def _correlation_id() -> str:
    return request_log.correlation_id()  # the request's (X-Correlation-ID or fresh)


@bp.post("/api/orders", summary="Place an order (starts its saga)", security=BEARER,
         responses={200: OrderOut, 202: with_headers("OrderOut", "accepted (or still running after the wait)", "Location"),
                    **errors(400, 401, 409, 413, 422, 503)})
@auth_required()
@validate_request()
def place_order(header: IdempotencyHeader, query: OrderCreateQuery, body: OrderCreate) -> Response:
    key = header.idempotency_key
    user_id, waits = g.caller.id, float(query.wait or 0)

    def accepted(uow: UnitOfWork, order_id: str) -> Reply:  # rendered in the transaction that stores the order
        return _order_reply(queries.order_view(uow, order_id, user_id), order_id, settled_is_200=False)

    def after_wait(order_id: str) -> Reply:
        saga_client.wait_for_phase1(order_id, waits)
        return _order_reply(order_view(order_id, user_id), order_id, settled_is_200=waits > 0)

    outcome = saga_client.place_order(user_id, [item.model_dump() for item in body.items], key,
                                      correlation_id=_correlation_id(), reply=None if waits else accepted)
    if not outcome.created:
        assert key is not None and outcome.earlier is not None  # only a claimed key finds an earlier request
        return idempotent.replay("emarket", IdempotentRequest, f"user:{user_id}", key, outcome.earlier,
                                 resume=after_wait, wait_for_twin=waits + settings().reply_timeout)
    if outcome.reply is not None:
        return idempotent.respond(outcome.reply)
    assert outcome.resource_id is not None  # created: the new order's id
    reply = after_wait(outcome.resource_id)
    if key is not None:
        idempotency.store_reply("emarket", IdempotentRequest, f"user:{user_id}", key, reply)
    return idempotent.respond(reply)


def _order_reply(view: dict[str, Any], order_id: str, settled_is_200: bool) -> Reply:
    """202 with the order as it stands; 200 once a ``?wait`` saw phase 1 settle."""
    view = {**view, "currency": settings().currency}
    status = 200 if settled_is_200 and view["status"] in order_status.PHASE1_SETTLED else 202
    return idempotent.json_reply(status, view, f"/api/orders/{order_id}")


@bp.get("/api/orders", summary="The caller's orders (the cabinet), newest first", security=BEARER,
        responses={200: OrderList, **errors(400, 401, 503)})
@auth_required()
@validate_request()
def list_orders(query: PageQuery) -> Response:
    return list_reply(query, "emarket", "orders", partial(queries.list_orders, user_id=g.caller.id))


@bp.get("/api/orders/<order_id>", summary="One order with its saga events", security=BEARER,
        responses={200: OrderOut, **errors(401, 404, 503)})
@auth_required()
@validate_request()
def get_order(path: OrderPath) -> Response:
    return jsonify(order_view(_order_id(path.order_id), g.caller.id))


@bp.post("/api/orders/<order_id>/payment", summary="Pay for an order awaiting payment", security=BEARER,
         responses={202: PaymentStarted, **_MOVED})
@auth_required()
@validate_request()
def pay(path: OrderPath, body: EmptyBody) -> tuple[Response, int]:
    return _compare_and_set(path.order_id, saga_client.request_payment, won=("started", "payment_started"),
                            before="already_started",
                            refused=("not_payable", "order_not_payable", "the order is not awaiting payment"))


@bp.post("/api/orders/<order_id>/cancel", summary="Cancel an order awaiting payment", security=BEARER,
         responses={202: OrderCancelled, **_MOVED})
@auth_required()
@validate_request()
def cancel(path: OrderPath, body: EmptyBody) -> tuple[Response, int]:
    return _compare_and_set(path.order_id, saga_client.request_cancel, won=("cancelled", "cancelled"),
                            before="already_cancelled",
                            refused=("not_cancellable", "order_not_cancellable",
                                     "only an order awaiting payment can be cancelled"))


def _compare_and_set(order_id: str, ask: Callable[..., str], won: tuple[str, str], before: str,
                     refused: tuple[str, str, str]) -> tuple[Response, int]:
    """Pay or cancel (docs/api.md): ask the order service, over the broker, to move the order;
    202 with the new status when this request won, 200 with the order when it had happened
    before, 409 when the order is in no status for it, 404 when it is not the caller's. No
    answer in time is a 503 from the app's error handler (``ReplyTimeout``)."""
    order_id = _order_id(order_id)
    outcome = ask(order_id, g.caller.id, correlation_id=_correlation_id())
    if outcome == won[0]:
        return jsonify({"id": order_id, "status": won[1]}), 202
    if outcome == before:
        return jsonify(order_view(order_id, g.caller.id)), 200
    if outcome == refused[0]:
        raise ApiError(409, refused[1], refused[2])
    raise _not_found()
