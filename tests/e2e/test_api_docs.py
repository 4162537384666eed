"""Each service's interactive API documentation (Swagger UI at /docs/swagger, flask-openapi3)
works offline: with every request that is not to this machine refused, the page still loads its
assets from the service and lists the operations of the service's generated document."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

# An operation each page must list, by path (Swagger UI shows one row per operation).
SERVICES = {"shop": "/api/orders", "auth": "/auth/login", "bank": "/bank/holds"}


@pytest.mark.parametrize("service", SERVICES)
def test_the_docs_page_lists_the_operations_offline(stack, browser, service):
    base = getattr(stack, service).url
    context = browser.new_context()
    refused, problems = [], []

    def local_only(route):
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    try:
        page.goto(f"{base}/docs/swagger")
        operations = page.locator(".opblock-summary-path")
        expect(operations.filter(has_text=SERVICES[service]).first).to_be_visible(timeout=15_000)
        listed = {text.strip().replace("\u200b", "") for text in operations.all_inner_texts()}
        document = page.request.get(f"{base}/docs/openapi.json").json()
        assert listed == set(document["paths"]), listed ^ set(document["paths"])
        assert refused == [] and problems == [], (refused, problems)
    finally:
        context.close()
