"""The pieces every service's generated OpenAPI document is built from (flask-openapi3): the
error reply, the optional ``Idempotency-Key`` header, the request class that reads JSON bodies
the way docs/api.md asks, the validation callback, and the offline ``/docs`` page.

flask-openapi3 validates a view's ``header``/``query``/``path``/``body`` models before the view
runs; a failure reaches ``refuse``, which raises our ``ApiError`` so the one error handler per app
renders it (a returned response would make the library's ``abort`` fail with a 500)."""
from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

from flask import Request, request
from flask_openapi3.types import ResponseDict
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from db.limits import IDEMPOTENCY_KEY
from web.common.errors import ApiError
from web.common.validation import describe


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    message: str


class Error(BaseModel):
    """docs/api.md's one error shape."""

    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


class IdempotencyHeader(BaseModel):
    """The optional ``Idempotency-Key`` (``IDEMPOTENCY_KEY`` characters); every other header is let through."""

    model_config = ConfigDict(extra="ignore", populate_by_name=False)
    # Absent is None; the schema leaves the default out (``null`` is no string a client could send).
    idempotency_key: Annotated[str, Field(alias="Idempotency-Key", min_length=IDEMPOTENCY_KEY.lo,
                                          max_length=IDEMPOTENCY_KEY.hi,
                                          json_schema_extra=lambda schema: schema.pop("default", None))] = None  # type: ignore[assignment]  # str, not str | None: the schema says string; absent is None


def errors(*statuses: int) -> ResponseDict:
    """``{400: Error, 404: Error}``: the error replies a route can give, each in the error shape."""
    return dict.fromkeys(statuses, Error)


def with_headers(status_model: str, description: str, *names: str) -> dict[str, Any]:
    """A JSON reply that also sends headers (``Location``, ``Retry-After``), by schema name."""
    return {"description": description,
            "headers": {name: {"schema": {"type": "string"}} for name in names},
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{status_model}"}}}}


class JsonBodyRequest(Request):
    """Bodies are read as JSON whatever their Content-Type, as docs/api.md has always done: an
    empty body is no body (``None``), malformed JSON is 400 ``malformed_json``, and anything but
    an object is 400 ``invalid_request`` before any model sees it."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any | None:
        raw = self.get_data(cache=True)
        if not raw.strip():
            return None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise ApiError(400, "malformed_json", "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_request", "the body must be a JSON object")
        return data


def refuse(error: ValidationError) -> NoReturn:
    """flask-openapi3's validation callback: a 400 in the error shape that names the field."""
    whole = [item for item in error.errors() if not item["loc"] and item["input"] is None]
    if whole and not request.get_data(cache=True).strip():
        raise ApiError(400, "invalid_request", "a JSON object body is required")
    # docs/api.md: a name of only whitespace is its own code, validation_error (NotBlank).
    code = "validation_error" if any(item["type"] == "blank" for item in error.errors()) else "invalid_request"
    raise ApiError(400, code, describe(error))


# Both documentation pages start alike: a phone's width, the service's title.
_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}: API documentation</title>
"""

# /docs/ itself: flask-openapi3's own index is a dark page of tiles whose inline click handlers
# the Content-Security-Policy blocks; this one is plain links, no script, fit for a phone.
DOCS_INDEX_PAGE = _HEAD + """<link rel="stylesheet" href="assets/docs.css">
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p>The HTTP API of this service, generated from its routes.</p>
<ul>
<li><a href="swagger">Browse and try the API (Swagger UI)</a></li>
<li><a href="openapi.json">The OpenAPI document (JSON)</a></li>
</ul>
</main>
</body>
</html>
"""

# Swagger UI's page, its assets served by flask-openapi3-swagger from the installed package (no
# CDN: the page works offline), started by our swagger-init.js rather than an inline script.
SWAGGER_PAGE = _HEAD + """<link rel="stylesheet" type="text/css" href="swagger/css/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="{{ doc_url }}"></div>
<script src="swagger/js/swagger-ui-bundle.js"></script>
<script src="swagger/js/swagger-ui-standalone-preset.js"></script>
<script src="assets/swagger-init.js"></script>
</body>
</html>
"""
