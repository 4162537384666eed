"""The skeleton every Flask service starts from: body size limit, JSON errors, settings."""
from __future__ import annotations

from flask import Flask

from emarket.config import settings
from web.common.errors import register_error_handlers

MAX_BODY = 64 * 1024


def base_app(import_name: str, **flask_kwargs) -> Flask:
    app = Flask(import_name, **flask_kwargs)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY,
        SECRET_KEY=settings().secret_key,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    register_error_handlers(app)
    return app
