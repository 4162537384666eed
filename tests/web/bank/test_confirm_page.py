"""GET/POST /bank/confirm/<id>: the holder's page, its CSRF token, its messages."""
from __future__ import annotations

import re

from tests.web.bank.conftest import MERCHANT, MERCHANT_ACCOUNT


def _token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def test_page_shows_the_hold_and_a_pin_form(client, open_account, place_hold):
    hold = place_hold(open_account(), amount=2_550, reference="emarket top-up")
    page = client.get(f"/bank/confirm/{hold['id']}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "25.50 USD" in html and "emarket top-up" in html and 'name="pin"' in html
    assert "Waiting for your PIN" in html and "pending_confirmation</" not in html and _token(page.data)
    # The expiry in words (the page's own script writes the clock time in the reader's zone).
    assert re.search(r'Expires</dt><dd id="expires">in \d+ minutes?', html)
    assert not re.search(r"\d\dT\d\d:", re.sub(r'datetime="[^"]*"', "", html))
    assert "bank_csrf" in page.headers["Set-Cookie"] and "HttpOnly" in page.headers["Set-Cookie"]


def test_posting_the_right_pin_captures_and_links_back_to_the_wallet(client, open_account, place_hold, account_of):
    number = open_account(balance=10_000)
    hold = place_hold(number, amount=2_500)
    token = _token(client.get(f"/bank/confirm/{hold['id']}").data)
    reply = client.post(f"/bank/confirm/{hold['id']}", data={"pin": "1234", "csrf_token": token})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "Confirmed" in html
    assert 'href="http://shop.test:8000/wallet"' in html and 'name="pin"' not in html
    assert account_of(MERCHANT_ACCOUNT)["balance"] == 2_500 and account_of(number)["held"] == 0


def test_wrong_pin_on_the_page_says_so_and_moves_nothing(client, open_account, place_hold, account_of):
    number = open_account(balance=10_000)
    hold = place_hold(number, amount=2_500)
    token = _token(client.get(f"/bank/confirm/{hold['id']}").data)
    reply = client.post(f"/bank/confirm/{hold['id']}", data={"pin": "9999", "csrf_token": token})
    assert reply.status_code == 403 and "Wrong PIN. 4 attempts left." in reply.get_data(as_text=True)
    assert account_of(number)["held"] == 2_500 and account_of(MERCHANT_ACCOUNT)["balance"] == 0


def test_post_without_a_valid_csrf_token_is_refused(client, open_account, place_hold, snapshot):
    number = open_account()
    hold, other = place_hold(number, amount=100), place_hold(number, amount=200)
    other_token = _token(client.get(f"/bank/confirm/{other['id']}").data)
    before = snapshot()
    for data in ({"pin": "1234"}, {"pin": "1234", "csrf_token": "forged"},
                 {"pin": "1234", "csrf_token": other_token}):
        reply = client.post(f"/bank/confirm/{hold['id']}", data=data)
        assert reply.status_code == 400 and "did not come from this page" in reply.get_data(as_text=True)
    assert snapshot() == before


def test_a_token_without_its_cookie_is_refused(app, open_account, place_hold, snapshot):
    hold = place_hold(open_account())
    token = _token(app.test_client().get(f"/bank/confirm/{hold['id']}").data)
    before = snapshot()
    stranger = app.test_client()  # another browser: no cookie of ours
    reply = stranger.post(f"/bank/confirm/{hold['id']}", data={"pin": "1234", "csrf_token": token})
    assert reply.status_code == 400
    assert snapshot() == before


def test_page_for_a_closed_hold_has_no_form(client, open_account, place_hold):
    hold = place_hold(open_account())
    client.post(f"/bank/holds/{hold['id']}/release", headers=MERCHANT)
    html = client.get(f"/bank/confirm/{hold['id']}").get_data(as_text=True)
    assert "Cancelled: nothing was taken" in html and 'name="pin"' not in html


def test_page_for_an_unknown_hold_is_404(client):
    for hold_id in ("3f1c1c7e-0000-4000-8000-000000000000", "nope"):
        reply = client.get(f"/bank/confirm/{hold_id}")
        assert reply.status_code == 404 and "No such payment" in reply.get_data(as_text=True)


def test_the_reference_is_short_and_the_last_attempt_is_singular(client, open_account, place_hold):
    hold = place_hold(open_account(), amount=100, reference="emarket top-up 035e41e5-1111-4222-8333-944445555666")
    page = client.get(f"/bank/confirm/{hold['id']}")
    assert "emarket top-up 035e41e5<" in page.get_data(as_text=True)
    token = _token(page.data)
    for _ in range(3):
        client.post(f"/bank/confirm/{hold['id']}", data={"pin": "9999", "csrf_token": token})
    reply = client.post(f"/bank/confirm/{hold['id']}", data={"pin": "9999", "csrf_token": token})
    assert "Wrong PIN. 1 attempt left." in reply.get_data(as_text=True)
    last = client.post(f"/bank/confirm/{hold['id']}", data={"pin": "9999", "csrf_token": token}).get_data(as_text=True)
    assert "nothing was taken from your account" in last


def test_the_banks_own_address_is_a_page_for_a_browser(client):
    page = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.mimetype == "text/html" and "Mbank" in page.get_data(as_text=True)
    unknown = client.get("/nope", headers={"Accept": "text/html,application/xhtml+xml,image/avif,*/*;q=0.8"})
    assert unknown.status_code == 404 and unknown.mimetype == "text/html"
    assert client.get("/nope").get_json()["error"]["code"] == "not_found"  # an API client: JSON
