"""``GET /auth/openapi.json``: the auth service's endpoints (docs/api.md "Auth service") as OpenAPI
3.1. Request bodies come from the pydantic models that validate them, so limits cannot drift."""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, jsonify
from pydantic.json_schema import models_json_schema

from web.auth.api import LoginBody, RegisterBody
from web.common.openapi_parts import REF, error_responses
from web.common.openapi_parts import body as _body
from web.common.openapi_parts import json_response as _json

bp = Blueprint("auth_openapi", __name__)

_TEXT = {400: "invalid input (malformed JSON, wrong types, unknown fields, out of limits)",
         401: "wrong credentials, or no token, or a bad, expired, tampered, revoked or wrong-kind token",
         405: "method not allowed on this path", 409: "this email is already registered",
         413: "body over 64 KiB", 429: "too many failed logins (see Retry-After)",
         503: "the account service or the token store did not answer in time (see Retry-After)"}


def _errors(*statuses: int) -> dict:
    return error_responses(_TEXT, *statuses)


EMPTY_BODY = {"required": False, "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": False, "properties": {}}}}}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "string"}}}

# Replies, written out: they are built by hand in web.auth.api and web.auth.tokens.
REPLIES = {
    "Error": {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {
        "error": {"type": "object", "required": ["code", "message"], "additionalProperties": False,
                  "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "Registered": {"type": "object", "required": ["id", "email"],
                   "properties": {"id": {"type": "integer"}, "email": {"type": "string"}}},
    "Tokens": {"type": "object", "required": ["access_token", "refresh_token", "token_type", "expires_in"],
               "properties": {"access_token": {"type": "string"}, "refresh_token": {"type": "string"},
                              "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"}}},
    "LoggedOut": {"type": "object", "required": ["status"], "properties": {"status": {"const": "logged_out"}}},
    "Jwks": {"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array", "items": {
        "type": "object", "required": ["kty", "kid", "n", "e"],
        "properties": {"kty": {"const": "RSA"}, "kid": {"type": "string"}, "use": {"const": "sig"},
                       "alg": {"const": "RS256"}, "n": {"type": "string"}, "e": {"type": "string"}}}}}},
}


def _paths() -> dict:
    e = _errors
    return {
        "/auth/register": {"post": {
            "summary": "Register a user (and their e-wallet)", "security": [{}], "requestBody": _body("RegisterBody"),
            "responses": {"201": _json("Registered", "the new user"), **e(400, 409, 413),
                          "429": {**_json("Error", _TEXT[429]), "headers": RETRY_AFTER},
                          "503": {**_json("Error", _TEXT[503]), "headers": RETRY_AFTER}}}},
        "/auth/login": {"post": {
            "summary": "Log in: an access and a refresh token", "security": [{}], "requestBody": _body("LoginBody"),
            "responses": {"200": _json("Tokens", "a new session's tokens"), **e(400, 401, 413),
                          "429": {**_json("Error", _TEXT[429]), "headers": RETRY_AFTER}, **e(503)}}},
        "/auth/refresh": {"post": {
            "summary": "New tokens for a refresh token (which is revoked: rotation)", "security": [{"refresh": []}],
            "requestBody": EMPTY_BODY,
            "responses": {"200": _json("Tokens", "the session's new tokens"), **e(400, 401, 413, 503)}}},
        "/auth/logout": {"post": {
            "summary": "Revoke the access token and its session", "security": [{"bearer": []}],
            "requestBody": EMPTY_BODY,
            "responses": {"200": _json("LoggedOut", "logged out"), **e(400, 401, 413, 503)}}},
        "/.well-known/jwks.json": {"get": {
            "summary": "The public keys that verify the tokens", "security": [{}],
            "responses": {"200": _json("Jwks", "the JWK set")}}},
        "/auth/openapi.json": {"get": {
            "summary": "This document", "security": [{}],
            "responses": {"200": {"description": "OpenAPI 3.1",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    }


@lru_cache(maxsize=1)
def document() -> dict:
    _, defs = models_json_schema([(RegisterBody, "validation"), (LoginBody, "validation")], ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "emarket auth API", "version": "1.0.0",
                 "description": "Errors are `{\"error\": {\"code\", \"message\"}}`."},
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "schemas": {**defs["$defs"], **REPLIES},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "access token"},
                "refresh": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "refresh token"},
            }},
    }


@bp.get("/auth/openapi.json")
def openapi():
    return jsonify(document())
