"""GET /api/openapi.json: a valid OpenAPI 3.1 document describing every API endpoint."""
from __future__ import annotations

import re

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from web.shop.openapi import document


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_api_route_and_method_is_described(app):
    doc = document()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = doc["paths"][path][method.lower()]
            assert "200" in operation["responses"] or "201" in operation["responses"] or "202" in operation["responses"]
            if operation.get("security") == [{"bearer": []}]:
                assert "401" in operation["responses"], (path, method)


def test_the_schemas_carry_the_limits_of_api_md():
    schemas = document()["components"]["schemas"]
    create = schemas["ProductCreate"]
    assert create["additionalProperties"] is False
    assert create["properties"]["price"]["minimum"] == 1 and create["properties"]["price"]["maximum"] == 100_000_000
    assert create["properties"]["count"]["maximum"] == 1_000_000
    items = schemas["OrderCreate"]["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 50)
    assert schemas["OrderItemIn"]["properties"]["quantity"]["maximum"] == 1000
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
