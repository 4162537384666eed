"""Request bodies validated by pydantic models, strictly: no coercion (``"1"`` and ``true`` are
not integers), unknown fields refused. flask-openapi3 runs the models before the view
(web.common.api_docs); any failure is a 400 in the docs/api.md shape that names the field
(``describe``), and nothing has been changed yet."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError


def _trimmed_not_blank(value: object) -> object:
    # docs/api.md: a product's name is counted after trimming the whitespace around it.
    value = value.strip() if isinstance(value, str) else value
    if value == "":
        raise PydanticCustomError("blank", "must not be empty or only spaces")
    return value


# A product's name as stored: the whitespace around it trimmed, and not left empty.
NotBlank = BeforeValidator(_trimmed_not_blank)


class StrictModel(BaseModel):
    """Base for every request body: strict types, no extra fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class EmptyBody(StrictModel):
    """Bodiless POSTs accept nothing or ``{}``."""

    @model_validator(mode="before")
    @classmethod
    def _no_body_is_empty(cls, data: Any) -> Any:
        return {} if data is None else data


def describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
