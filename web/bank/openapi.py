"""``GET /bank/openapi.json``: the bank's API (docs/api.md "Bank") as OpenAPI 3.1. Request bodies
come from the pydantic models that validate them, so limits cannot drift."""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, jsonify
from pydantic.json_schema import models_json_schema

from web.bank.api import Confirm, NewAccount, NewHold
from web.common.openapi_parts import REF, error_responses
from web.common.openapi_parts import body as _body
from web.common.openapi_parts import json_response as _json

bp = Blueprint("bank_openapi", __name__)

_TEXT = {400: "invalid input (malformed JSON, wrong types, unknown fields, out of limits)",
         401: "a missing or unknown X-Api-Key", 403: "a key of the other role",
         404: "no such account or hold", 405: "method not allowed on this path",
         409: "conflicts with the hold's or account's state", 413: "body over 64 KiB",
         422: "an Idempotency-Key reused with another body"}


def _errors(*statuses: int) -> dict:
    return error_responses(_TEXT, *statuses)


_STR, _INT = {"type": "string"}, {"type": "integer"}
HOLD_STATUS = {"enum": ["pending_confirmation", "captured", "released", "expired"]}
NUMBER = {"type": "string", "pattern": "^[0-9]{1,34}$"}

# Replies, written out: they are built by emarket.bank's view functions.
REPLIES = {
    "Error": {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {
        "error": {"type": "object", "required": ["code", "message"], "additionalProperties": False,
                  "properties": {"code": _STR, "message": _STR}}}},
    "AccountCreated": {"type": "object", "required": ["number", "owner", "balance", "currency"],
                       "properties": {"number": NUMBER, "owner": _STR, "balance": _INT, "currency": _STR}},
    "Account": {"type": "object", "required": ["number", "owner", "balance", "held", "currency"],
                "properties": {"number": NUMBER, "owner": _STR, "balance": _INT, "held": _INT, "currency": _STR}},
    "Availability": {"type": "object", "required": ["sufficient"], "properties": {"sufficient": {"type": "boolean"}}},
    "Hold": {"type": "object", "required": ["id", "status", "amount", "account", "reference", "confirm_url", "currency"],
             "properties": {"id": _STR, "status": HOLD_STATUS, "amount": _INT, "account": NUMBER, "reference": _STR,
                            "confirm_url": {"type": "string", "format": "uri"}, "currency": _STR,
                            "expires_at": _STR}},
    "HoldStatus": {"type": "object", "required": ["status"], "properties": {"status": HOLD_STATUS}},
}
ADMIN, MERCHANT = [{"admin_key": []}], [{"merchant_key": []}]
ACCOUNT = {"name": "number", "in": "path", "required": True, "schema": NUMBER}
HOLD = {"name": "hold_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
       "schema": {"type": "string", "minLength": 1, "maxLength": 255}}
EMPTY_BODY = {"required": False, "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": False, "properties": {}}}}}


def _paths() -> dict:
    e = _errors
    return {
        "/bank/accounts": {"post": {
            "summary": "Open an account (admin key)", "security": ADMIN, "requestBody": _body("NewAccount"),
            "responses": {"201": _json("AccountCreated", "the account"), **e(400, 401, 403, 413)}}},
        "/bank/accounts/{number}": {"parameters": [ACCOUNT], "get": {
            "summary": "One account (admin key)", "security": ADMIN,
            "responses": {"200": _json("Account", "the account"), **e(401, 403, 404)}}},
        "/bank/accounts/{number}/availability": {"parameters": [ACCOUNT], "get": {
            "summary": "Whether the account could pay an amount (merchant key)", "security": MERCHANT,
            "parameters": [{"name": "amount", "in": "query", "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 10_000_000}}],
            "responses": {"200": _json("Availability", "yes or no"), **e(400, 401, 403, 404)}}},
        "/bank/holds": {"post": {
            "summary": "Hold an amount until the holder confirms (merchant key)", "security": MERCHANT,
            "parameters": [KEY], "requestBody": _body("NewHold"),
            "responses": {"201": _json("Hold", "the hold, pending confirmation"),
                          **e(400, 401, 403, 404, 413, 422),
                          "409": _json("Error", "insufficient_funds")}}},
        "/bank/holds/{hold_id}": {"parameters": [HOLD], "get": {
            "summary": "One hold (merchant key)", "security": MERCHANT,
            "responses": {"200": _json("Hold", "the hold"), **e(401, 403, 404)}}},
        "/bank/holds/{hold_id}/confirm": {"parameters": [HOLD], "post": {
            "summary": "The holder confirms with the PIN", "security": [{}], "requestBody": _body("Confirm"),
            "responses": {"200": _json("HoldStatus", "captured (now or before)"), **e(400, 404, 413),
                          "403": _json("Error", "wrong PIN (the fifth releases the hold)"),
                          "409": _json("Error", "the hold was released or has expired")}}},
        "/bank/holds/{hold_id}/release": {"parameters": [HOLD], "post": {
            "summary": "Release a hold (merchant key)", "security": MERCHANT, "requestBody": EMPTY_BODY,
            "responses": {"200": _json("HoldStatus", "released (now or before)"), **e(400, 401, 403, 404, 413),
                          "409": _json("Error", "the hold was captured")}}},
        "/bank/confirm/{hold_id}": {"parameters": [HOLD], "get": {
            "summary": "The page where the holder confirms with the PIN", "security": [{}],
            "responses": {"200": {"description": "the page", "content": {"text/html": {"schema": _STR}}},
                          "404": {"description": "no such hold", "content": {"text/html": {"schema": _STR}}}}}},
        "/bank/openapi.json": {"get": {
            "summary": "This document", "security": [{}],
            "responses": {"200": {"description": "OpenAPI 3.1",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    }


@lru_cache(maxsize=1)
def document() -> dict:
    _, defs = models_json_schema([(m, "validation") for m in (NewAccount, NewHold, Confirm)], ref_template=REF)
    key = {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "emarket bank API", "version": "1.0.0",
                 "description": "Amounts in integer minor units, with `currency`. "
                                "Errors are `{\"error\": {\"code\", \"message\"}}`."},
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {"schemas": {**defs["$defs"], **REPLIES},
                       "securitySchemes": {"admin_key": {**key, "description": "the operator's key"},
                                           "merchant_key": {**key, "description": "the shop's key"}}},
    }


@bp.get("/bank/openapi.json")
def openapi():
    return jsonify(document())
