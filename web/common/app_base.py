"""The skeleton every Flask service starts from: body size limit, JSON errors, settings."""
from __future__ import annotations

from flask import Flask

from emarket.config import settings
from web.common import body_limit
from web.common.errors import register_error_handlers


def base_app(import_name: str, **flask_kwargs) -> Flask:
    app = Flask(import_name, **flask_kwargs)
    app.config.update(
        SECRET_KEY=settings().secret_key,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    body_limit.install(app)
    register_error_handlers(app)
    return app
