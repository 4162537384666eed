"""The skeleton every Flask service starts from: body size limit, JSON errors, settings, and
the OpenAPI document generated from the routes and their pydantic models (flask-openapi3), with
Swagger UI at ``/docs/swagger``."""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from flask import Blueprint, Response, appcontext_pushed, g, jsonify, send_from_directory
from flask_openapi3 import Info, OpenAPI, Server

from emarket.config import Settings, in_force, settings
from web.common import api_docs, body_limit
from web.common.errors import register_error_handlers

_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_EMPTY_BODY = {"$ref": "#/components/schemas/EmptyBody"}


class ServiceApp(OpenAPI):
    """flask-openapi3's document, with three corrections made once here:
    - it adds its own validation reply (a list of pydantic errors) to every operation that does
      not list 400; ours is the error shape, listed by each route that can answer 400, so the
      library's is dropped rather than advertised where it cannot happen;
    - its schema model holds bounds as floats (``minimum: 1.0`` for ``ge=1``): whole ones are
      written back as integers, as the pydantic models have them;
    - it marks every body required; an ``EmptyBody`` may be left out (docs/api.md)."""

    def generate_spec_json(self) -> None:
        super().generate_spec_json()  # type: ignore[no-untyped-call]  # flask_openapi3 leaves it unannotated (a super() call escapes untyped_calls_exclude)
        _whole_bounds(self.spec_json)
        for path_item in self.spec_json["paths"].values():
            for operation in path_item.values():
                reply = operation["responses"].get("400", {})
                if reply.get("content", {}).get("application/json", {}).get("schema", {}).get("type") == "array":
                    del operation["responses"]["400"]
                body = operation.get("requestBody")
                if body and body["content"].get("application/json", {}).get("schema") == _EMPTY_BODY:
                    body["required"] = False


def _whole_bounds(node: object) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _BOUNDS and isinstance(value, float) and value.is_integer():
                node[key] = int(value)
            else:
                _whole_bounds(value)
    elif isinstance(node, list):
        for item in node:
            _whole_bounds(item)


def keep_in_force(app: ServiceApp, given: Settings) -> None:
    """Every app context of ``app`` (each request's, a test's, a command's) works with the
    settings it was built with, down to the unit of work and the Redis client it calls."""

    def pushed(_sender: object, **_extra: object) -> None:
        scope = ExitStack()
        scope.enter_context(in_force(given))
        g.emarket_settings_scope = scope

    appcontext_pushed.connect(pushed, app, weak=False)
    def popped(_error: BaseException | None) -> None:
        g.pop("emarket_settings_scope").close()

    app.teardown_appcontext(popped)


def base_app(import_name: str, *, title: str, description: str, document_url: str,
             security_schemes: dict[str, Any] | None = None, given: Settings | None = None,
             **flask_kwargs: Any) -> ServiceApp:
    """The skeleton; ``given``: the settings the app works with (None: the environment's, read
    as they are at each use)."""
    app = ServiceApp(
        import_name, info=Info(title=title, version="1.0.0", description=description),
        servers=[Server(url="/")], security_schemes=security_schemes, doc_prefix="/docs",
        validation_error_status=400, validation_error_model=api_docs.Error,
        validation_error_callback=api_docs.refuse, **flask_kwargs)
    app.request_class = api_docs.JsonBodyRequest
    if given is not None:
        keep_in_force(app, given)
    app.config.update(
        SECRET_KEY=settings().secret_key,
        JSON_SORT_KEYS=False,
        SWAGGER_HTML_STRING=api_docs.SWAGGER_PAGE.replace("{{ title }}", title),
        OPENAPI_HTML_STRING=api_docs.DOCS_INDEX_PAGE.replace("{{ title }}", title),
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # the provider is Flask's DefaultJSONProvider, which has it
    body_limit.install(app)
    register_error_handlers(app)
    assets = Blueprint("api_docs", __name__, static_folder="static", static_url_path="/docs/assets")
    # Browsers ask every service for /favicon.ico (the Swagger page too): an icon, not a 404.
    assets.add_url_rule("/favicon.ico", "favicon", lambda: send_from_directory(
        assets.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400))  # type: ignore[arg-type]  # static_folder="static": never None
    app.register_blueprint(assets)

    # The document's address before /docs existed, kept: clients and the fuzz tests read it there.
    @app.get(document_url, summary="This document", security=[{}],
             responses={200: {"description": "OpenAPI 3.1",
                              "content": {"application/json": {"schema": {"type": "object"}}}}})
    def openapi_document() -> Response:
        return jsonify(app.api_doc)

    return app
