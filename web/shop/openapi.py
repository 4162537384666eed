"""``GET /api/openapi.json``: the shop API as OpenAPI 3.1. Schemas come from the very pydantic
models that validate requests (web.shop.schemas), so limits cannot drift; the path table below
lists every endpoint with its parameters, bodies, replies and errors."""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, jsonify
from pydantic.json_schema import models_json_schema

from web.common.openapi_parts import REF, body, error_responses, json_response
from web.shop import schemas
from web.shop.topups_api import TopupCreate

bp = Blueprint("openapi", __name__)


def _errors(*statuses: int) -> dict:
    text = {400: "invalid input (malformed JSON, wrong types, unknown fields, out of limits, bad cursor)",
            401: "no token, or a bad, expired, tampered or revoked one",
            403: "administrators only", 404: "no such resource (or another user's)",
            405: "method not allowed on this path", 409: "conflicts with the current state",
            413: "body over 64 KiB", 422: "breaks a business rule",
            503: "a dependency is unavailable: the order service did not answer in time, or the "
                 "revoked-token store cannot be reached (see Retry-After)"}
    # Checking a token consults the revoked-token store (Redis): while it is down, any endpoint
    # that reads a token answers 503 rather than let a possibly revoked token through.
    if 401 in statuses and 503 not in statuses:
        statuses = (*statuses, 503)
    return error_responses(text, *statuses)


EMPTY_BODY = {"required": False, "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": False, "properties": {}}}}}
PAGE = [
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    {"name": "cursor", "in": "query", "required": False,
     "schema": {"type": "string", "minLength": 1, "maxLength": 200}, "description": "opaque; from `next`"},
]
PRODUCT_ID = {"name": "product_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}}
ORDER_ID = {"name": "order_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
SECURED = [{"bearer": []}]
OPTIONAL = [{}, {"bearer": []}]


def _paths() -> dict:
    e = _errors
    return {
        "/api/products": {
            "get": {"summary": "The catalogue, newest first", "security": OPTIONAL, "parameters": PAGE,
                    "responses": {"200": json_response("ProductList", "a page of products"), **e(400, 401)}},
            "post": {"summary": "Create a product (admin)", "security": SECURED,
                     "requestBody": body("ProductCreate"),
                     "responses": {"201": json_response("ProductOne", "the product, admin view"), **e(400, 401, 403, 413)}},
        },
        "/api/products/{product_id}": {
            "parameters": [PRODUCT_ID],
            "get": {"summary": "One product", "security": OPTIONAL,
                    "responses": {"200": json_response("ProductOne", "the product"), **e(401, 404)}},
            "patch": {"summary": "Edit a product (admin); count sets the units on hand", "security": SECURED,
                      "requestBody": body("ProductUpdate"),
                      "responses": {"200": json_response("ProductOne", "the product, admin view"),
                                    **e(400, 401, 403, 404, 413),
                                    "409": json_response("Error", "count below the units reserved (count_below_reserved)")}},
        },
        "/api/orders": {
            "get": {"summary": "The caller's orders (the cabinet), newest first", "security": SECURED,
                    "parameters": PAGE, "responses": {"200": json_response("OrderList", "a page of orders"), **e(400, 401)}},
            "post": {"summary": "Place an order (starts its saga)", "security": SECURED,
                     "parameters": [
                         {"name": "wait", "in": "query", "required": False,
                          "schema": {"type": "integer", "minimum": 0, "maximum": 30},
                          "description": "seconds to wait for the first phase to settle"},
                         {"name": "Idempotency-Key", "in": "header", "required": False,
                          "schema": {"type": "string", "minLength": 1, "maxLength": 255}}],
                     "requestBody": body("OrderCreate"),
                     "responses": {"200": json_response("OrderOut", "settled within the wait"),
                                   "202": {**json_response("OrderOut", "accepted (or still running after the wait)"),
                                           "headers": {"Location": {"schema": {"type": "string"}}}},
                                   **e(400, 401, 413, 422),
                                   "409": json_response("Error", "the first request with this key is still being handled")}},
        },
        "/api/orders/{order_id}": {
            "parameters": [ORDER_ID],
            "get": {"summary": "One order with its saga events", "security": SECURED,
                    "responses": {"200": json_response("OrderOut", "the order"), **e(401, 404)}},
        },
        "/api/orders/{order_id}/payment": {
            "parameters": [ORDER_ID],
            "post": {"summary": "Pay for an order awaiting payment", "security": SECURED, "requestBody": EMPTY_BODY,
                     "responses": {"202": json_response("PaymentStarted", "this request started the payment"),
                                   "200": json_response("OrderOut", "a payment had already been started"),
                                   **e(400, 401, 404, 413, 503),
                                   "409": json_response("Error", "order_not_payable")}},
        },
        "/api/orders/{order_id}/cancel": {
            "parameters": [ORDER_ID],
            "post": {"summary": "Cancel an order awaiting payment", "security": SECURED, "requestBody": EMPTY_BODY,
                     "responses": {"202": json_response("OrderCancelled", "this request cancelled the order"),
                                   "200": json_response("OrderOut", "already cancelled by the user"),
                                   **e(400, 401, 404, 413, 503),
                                   "409": json_response("Error", "order_not_cancellable")}},
        },
        "/api/wallet": {
            "get": {"summary": "The caller's e-wallet", "security": SECURED,
                    "responses": {"200": json_response("WalletOut", "balance and frozen money"), **e(401)}},
        },
        "/api/wallet/transactions": {
            "get": {"summary": "The wallet's ledger, newest first", "security": SECURED, "parameters": PAGE,
                    "responses": {"200": json_response("TransactionList", "a page of entries"), **e(400, 401)}},
        },
        "/api/openapi.json": {
            "get": {"summary": "This document", "security": [{}],
                    "responses": {"200": {"description": "OpenAPI 3.1",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}}},
        },
    }


def _topup_paths() -> dict:
    """Top-ups (web.shop.topups_api)."""
    e = _errors
    topup_id = {"name": "topup_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    key = {"name": "Idempotency-Key", "in": "header", "required": False,
           "schema": {"type": "string", "minLength": 1, "maxLength": 255}}
    return {
        "/api/wallet/topups": {
            "post": {"summary": "Top up the wallet from a bank account", "security": SECURED, "parameters": [key],
                     "requestBody": body("TopupCreate"),
                     "responses": {"202": {**json_response("Topup", "the top-up, started"),
                                           "headers": {"Location": {"schema": {"type": "string"}}}},
                                   **e(400, 401, 404, 413, 422)}},
            "get": {"summary": "The caller's top-ups, newest first", "security": SECURED, "parameters": PAGE,
                    "responses": {"200": json_response("TopupList", "a page of top-ups"), **e(400, 401)}},
        },
        "/api/wallet/topups/{topup_id}": {
            "parameters": [topup_id],
            "get": {"summary": "One top-up", "security": SECURED,
                    "responses": {"200": json_response("Topup", "the top-up"), **e(401, 404)}},
        },
    }


@lru_cache(maxsize=1)
def document() -> dict:
    _, defs = models_json_schema([(m, "validation") for m in schemas.REQUEST_MODELS + (TopupCreate,)]
                                 + [(m, "serialization") for m in schemas.REPLY_MODELS],
                                 ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "emarket shop API", "version": "1.0.0",
                 "description": "Money in integer minor units; every reply with money has `currency`. "
                                "Errors are `{\"error\": {\"code\", \"message\"}}`."},
        "servers": [{"url": "/"}],
        "paths": {**_paths(), **_topup_paths()},
        "components": {"schemas": defs["$defs"],
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(document())
