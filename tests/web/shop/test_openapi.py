"""GET /api/openapi.json: a valid OpenAPI 3.1 document, generated from the routes and their
models (flask-openapi3), describing every API endpoint."""
from __future__ import annotations

import re

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate


def document() -> dict:
    from web.shop import create_app

    return create_app().api_doc


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    assert client.get("/docs/openapi.json").get_json() == doc


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
    # Whole bounds stay integers (the library's schema model holds them as floats).
    assert isinstance(create["properties"]["price"]["minimum"], int)
    assert create["additionalProperties"] is False
    assert create["properties"]["price"]["minimum"] == 1 and create["properties"]["price"]["maximum"] == 100_000_000
    assert create["properties"]["count"]["maximum"] == 1_000_000
    items = schemas["OrderCreate"]["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 50)
    assert schemas["OrderItemIn"]["properties"]["quantity"]["maximum"] == 1000
    for _name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)


def test_every_route_that_takes_an_idempotency_key_documents_it_and_its_statuses():
    paths = document()["paths"]
    for path, method in (("/api/orders", "post"), ("/api/products", "post"), ("/api/wallet/topups", "post")):
        operation = paths[path][method]
        key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert key["in"] == "header" and key["required"] is False
        assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
        assert {"409", "422"} <= set(operation["responses"]), path
    # A read that takes no input cannot answer 400, so its document does not say it can.
    assert "400" not in paths["/api/wallet"]["get"]["responses"]
    assert paths["/api/orders/{order_id}/payment"]["post"]["requestBody"]["required"] is False
