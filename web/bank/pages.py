"""The confirmation page: the account holder sees the hold and confirms it with the PIN.

The form carries a CSRF token: an itsdangerous signature over the hold id and a random nonce
that is also set in an HttpOnly, SameSite=Strict cookie (double submit), so another site can
neither forge the post nor replay a token minted for someone else's browser.
"""
from __future__ import annotations

import hmac
import re
import secrets
from datetime import UTC, datetime

from flask import Blueprint, Response, make_response, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from emarket.bank import holds
from emarket.config import settings
from emarket.errors import NotFound
from emarket.storage import unit_of_work

bp = Blueprint("bank_pages", __name__, url_prefix="/bank", template_folder="templates")

CSRF_COOKIE = "bank_csrf"
CSRF_MAX_AGE = 3600
# Its one script (our own file) only writes the times in the reader's time zone.
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

# A hold's status as the account holder reads it.
STATUS = {"pending_confirmation": "Waiting for your PIN", "captured": "Paid to the shop",
          "released": "Cancelled: nothing was taken", "expired": "Expired: nothing was taken"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _reference(text: str) -> str:
    """A reference as a person reads it: a long id shortened to its first 8 characters."""
    return _UUID.sub(lambda found: found.group()[:8], text or "")


def _in_words(moment: str) -> str:
    """How long until ``moment`` (RFC 3339), in words; the page's script adds the local time."""
    left = (datetime.fromisoformat(moment.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()
    if left <= 0:
        return "now"
    minutes = round(left / 60)
    return "in less than a minute" if minutes < 1 else f"in {minutes} minute{'s' if minutes != 1 else ''}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="bank-confirm")


def _token_for(hold_id: str, nonce: str) -> str:
    return _serializer().dumps({"hold": hold_id, "nonce": nonce})


def _token_is_valid(hold_id: str) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE, "")
    try:
        data = _serializer().loads(request.form.get("csrf_token", ""), max_age=CSRF_MAX_AGE)
    except BadSignature:
        return False
    return (isinstance(data, dict) and data.get("hold") == hold_id and bool(nonce)
            and hmac.compare_digest(str(data.get("nonce", "")), nonce))


def _page(hold_id: str, status: int = 200, message: str | None = None, tone: str = "info") -> Response:
    try:
        with unit_of_work("bank") as uow:
            view = holds.hold_view(holds.get_hold(uow, hold_id))
    except NotFound:
        view, status = None, 404
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(16)
    html = render_template(
        "bank/confirm.html", hold=view, hold_id=hold_id, message=message, tone=tone, status_words=STATUS,
        reference=_reference(view["reference"]) if view else "",
        expires_in=_in_words(view["expires_at"]) if view and view["expires_at"] else "",
        csrf_token=_token_for(hold_id, nonce), currency=settings().currency,
        shop_wallet_url=settings().shop_public_url.rstrip("/") + "/wallet",
    )
    response = make_response(html, status)
    response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="Strict", secure=settings().secure_cookies,
                        path="/bank/confirm")
    response.headers["Cache-Control"] = "no-store"
    # The PIN page may never be framed (clickjacking) nor run anything but its inline style.
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.get("/confirm/<hold_id>")
def confirm_page(hold_id: str) -> Response:
    return _page(hold_id)


@bp.post("/confirm/<hold_id>")
def confirm_submit(hold_id: str) -> Response:
    if not _token_is_valid(hold_id):
        return _page(hold_id, 400, "The form expired or did not come from this page. Please try again.", "error")
    try:
        with unit_of_work("bank") as uow:
            outcome = holds.confirm_hold(uow, hold_id, request.form.get("pin", ""))
    except NotFound:
        return _page(hold_id, 404)
    if outcome.closed:
        return _page(hold_id, 409, "This payment can no longer be confirmed.", "error")
    if outcome.captured:
        return _page(hold_id, 200, "Confirmed. The amount has been paid to the shop.", "success")
    if outcome.released:
        return _page(hold_id, 403, "Wrong PIN too many times: the payment was cancelled and nothing was taken "
                     "from your account. Start a new top-up at the shop to try again.", "error")
    left = outcome.attempts_left
    more = f" {left} attempt{'s' if left != 1 else ''} left." if left else ""
    return _page(hold_id, 403, "Wrong PIN." + more, "error")


home = Blueprint("bank_home", __name__, template_folder="templates")


@home.get("/")
def start() -> Response:
    """The bank's address itself, for a person who types it: what is here, in a page."""
    response = make_response(render_template("bank/home.html"))
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response
