"""Small builders for the services' OpenAPI documents: schema references, JSON responses,
request bodies and the error responses (always the docs/api.md error shape)."""
from __future__ import annotations

REF = "#/components/schemas/{model}"


def ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def json_response(name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


def error_responses(texts: dict[int, str], *statuses: int) -> dict:
    """``{"400": …, "404": …}``: each status in the error shape, described by ``texts``."""
    return {str(s): json_response("Error", texts[s]) for s in statuses}


def body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}
