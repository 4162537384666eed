"""The shop (port 8000): the JSON API of docs/api.md and the pages built on it.

It verifies tokens with the auth service's public key only (it never signs), reads through
emarket's query functions, and moves orders only through the saga (web.shop.saga_client).
"""
from __future__ import annotations

from flask import Flask, Response, request

from db import limits
from emarket.config import Settings, in_force
from tasks.metrics import SagaCollector
from web.common import health
from web.common.app_base import base_app
from web.common.jwt_setup import init_jwt

# Self only: no inline script or style, nothing framed, forms post only to us.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; "
                           "frame-ancestors 'none'")

# Swagger UI (/docs) sets style attributes as it renders; its scripts still come from 'self' only.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def _security_headers(response: Response) -> Response:
    policy = DOCS_CONTENT_SECURITY_POLICY if request.path.startswith("/docs/") else CONTENT_SECURITY_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def create_app(settings: Settings | None = None) -> Flask:
    """The shop; ``settings``: its own (a test's), else the environment's (gunicorn, ``emarket up``)."""
    with in_force(settings):
        app = base_app(__name__, title="emarket shop API", document_url="/api/openapi.json",
                       description="Money in integer minor units; every reply with money has `currency`. "
                                   "Errors are `{\"error\": {\"code\", \"message\"}}`.",
                       security_schemes={"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
                       given=settings,
                       static_folder="static", template_folder="templates")
        init_jwt(app)
        from web.shop import (
            api_orders,
            api_products,
            api_wallet,
            cart,
            console,
            pages,
            pages_account,
            topups_api,
            words,
        )

        words.install(app)
        app.jinja_env.globals["limits"] = limits  # the forms' min and max
        for module in (api_products, api_orders, api_wallet, topups_api):
            app.register_api(module.bp)
        for module in (pages, pages_account, cart, console):
            app.register_blueprint(module.bp)
        app.after_request(_security_headers)
        health.install(app, "shop", databases=("emarket", "account"), broker=True, cache=True,
                       collectors=[SagaCollector()])
        return app
