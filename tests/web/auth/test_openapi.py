"""GET /auth/openapi.json: the auth service's generated OpenAPI 3.1 document, with the limits of
its models, each route's token and every status it can answer."""
from __future__ import annotations

from openapi_spec_validator import validate


def test_the_document_is_valid_and_carries_the_contract(client):
    response = client.get("/auth/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    validate(doc)
    paths = doc["paths"]
    register = paths["/auth/register"]["post"]
    assert set(register["responses"]) == {"201", "400", "409", "413", "422", "503"}
    key = next(p for p in register["parameters"] if p["name"] == "Idempotency-Key")
    assert key["required"] is False and (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
    assert "Retry-After" in register["responses"]["503"]["headers"]
    password = doc["components"]["schemas"]["RegisterBody"]["properties"]["password"]
    assert isinstance(password["minLength"], int) and password["maxLength"] >= password["minLength"]
    assert set(paths["/auth/login"]["post"]["responses"]) == {"200", "400", "401", "413", "429", "503"}
    assert paths["/auth/refresh"]["post"]["security"] == [{"refresh": []}]
    assert paths["/auth/logout"]["post"]["security"] == [{"bearer": []}]
    assert paths["/auth/logout"]["post"]["requestBody"]["required"] is False
    assert set(paths["/.well-known/jwks.json"]["get"]["responses"]) == {"200"}
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "refresh"}


def test_the_token_is_checked_before_the_body(client):
    reply = client.post("/auth/logout", data="{", content_type="application/json")
    assert reply.status_code == 401
