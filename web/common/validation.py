"""Request bodies and query strings validated by pydantic models, strictly: no coercion
(``"1"`` and ``true`` are not integers), unknown fields refused. Any failure is a 400 in the
docs/api.md shape that names the field, and nothing has been changed yet."""
from __future__ import annotations

import json
from typing import TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, ValidationError

from web.common.errors import ApiError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every request body: strict types, no extra fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class EmptyBody(StrictModel):
    """Bodiless POSTs accept nothing or ``{}``."""


def describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_json_body(model: type[M], allow_empty: bool = False) -> M:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if allow_empty:
            return model()
        raise ApiError(400, "invalid_request", "a JSON object body is required")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(400, "invalid_request", describe(error)) from None
    except RecursionError:
        raise ApiError(400, "invalid_request", "the body is nested too deeply") from None


def parse_query(model: type[M]) -> M:
    """Query strings are text by nature: these models use lax mode for their own fields."""
    try:
        return model.model_validate(request.args.to_dict(flat=True))
    except ValidationError as error:
        raise ApiError(400, "invalid_request", describe(error)) from None
