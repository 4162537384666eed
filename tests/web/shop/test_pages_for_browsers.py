"""What a browser gets that an API client does not: an HTML page for an unknown address (JSON
stays for /api/ and for clients asking for JSON), an icon, a plain /docs/ index that fits a
phone, and the header naming who is logged in."""
from __future__ import annotations

from db.account import Credential
from emarket.storage import unit_of_work
from tests.support.shop_pages import USER, log_in

# Chromium's own Accept header: several types at q=1, text/html first.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
                     "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"}


def test_an_unknown_address_is_a_page_for_a_browser_and_json_for_the_api(client, dbs):
    page = client.get("/nope", headers=BROWSER)
    assert page.status_code == 404 and page.mimetype == "text/html" and "<h1>Not found</h1>" in page.get_data(True)
    assert client.get("/nope", headers={"Accept": "application/json"}).get_json()["error"]["code"] == "not_found"
    assert client.get("/nope", headers={"Accept": "*/*"}).get_json()["error"]["code"] == "not_found"
    api = client.get("/api/nope", headers=BROWSER)
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


def test_the_favicon_and_the_docs_index(client, dbs):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    index = client.get("/docs/").get_data(as_text=True)
    assert 'name="viewport"' in index and 'href="swagger"' in index and "onclick" not in index
    assert "<script" not in index


def test_the_header_names_who_is_logged_in(client, dbs):
    with unit_of_work("account") as uow:
        uow.session.add(Credential(id=USER, email="ann@example.com", password_hash="x", roles=[]))
    log_in(client)
    assert 'id="who"><span class="visually-hidden">Logged in as </span>ann@example.com' in client.get("/").get_data(True)
