"""Request bodies validated by pydantic models, strictly: no coercion (``"1"`` and ``true`` are
not integers), unknown fields refused. flask-openapi3 runs the models before the view
(web.common.api_docs); any failure is a 400 in the docs/api.md shape that names the field
(``describe``), and nothing has been changed yet."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator


class StrictModel(BaseModel):
    """Base for every request body: strict types, no extra fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class EmptyBody(StrictModel):
    """Bodiless POSTs accept nothing or ``{}``."""

    @model_validator(mode="before")
    @classmethod
    def _no_body_is_empty(cls, data):
        return {} if data is None else data


def describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
