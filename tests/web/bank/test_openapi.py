"""GET /bank/openapi.json: the bank's generated OpenAPI 3.1 document describes every API route,
with the limits of the models, each route's key and every status it can answer."""
from __future__ import annotations

import re

from openapi_spec_validator import validate


def _document(client) -> dict:
    response = client.get("/bank/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(client):
    doc = _document(client)
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    assert client.get("/docs/openapi.json").get_json() == doc


def test_every_api_route_is_described_with_its_key(app, client):
    doc = _document(client)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/bank/") or rule.endpoint.startswith("bank_pages."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = doc["paths"][path][method.lower()]
            if operation["security"] != [{}]:
                assert {"401", "403"} <= set(operation["responses"]), (path, method)


def test_the_schemas_carry_the_limits_of_api_md(client):
    doc = _document(client)
    hold = doc["components"]["schemas"]["NewHold"]
    assert hold["additionalProperties"] is False
    assert hold["properties"]["amount"] == {**hold["properties"]["amount"], "minimum": 1, "maximum": 10_000_000}
    assert isinstance(hold["properties"]["amount"]["minimum"], int)
    post = doc["paths"]["/bank/holds"]["post"]
    assert post["security"] == [{"merchant_key": []}]
    assert set(post["responses"]) == {"201", "400", "401", "403", "404", "409", "413", "422"}
    key = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["required"] is False
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
    accounts = doc["paths"]["/bank/accounts"]["post"]
    assert accounts["security"] == [{"admin_key": []}] and {"409", "422"} <= set(accounts["responses"])
    # A route that reads no input cannot answer 400, so its document does not say it can.
    assert "400" not in doc["paths"]["/bank/holds/{hold_id}"]["get"]["responses"]
    assert doc["paths"]["/bank/holds/{hold_id}/release"]["post"]["requestBody"]["required"] is False


def test_the_key_is_checked_before_the_body(client):
    """The library validates the body; the key still comes first, as before it (401, not 400)."""
    reply = client.post("/bank/holds", data="{", content_type="application/json")
    assert reply.status_code == 401 and reply.get_json()["error"]["code"] == "unauthorized"
