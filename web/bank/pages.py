"""The confirmation page: the account holder sees the hold and confirms it with the PIN.

The form carries a CSRF token: an itsdangerous signature over the hold id and a random nonce
that is also set in an HttpOnly, SameSite=Strict cookie (double submit), so another site can
neither forge the post nor replay a token minted for someone else's browser.
"""
from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, make_response, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from emarket.bank import holds
from emarket.config import settings
from emarket.errors import NotFound
from emarket.storage import unit_of_work

bp = Blueprint("bank_pages", __name__, url_prefix="/bank", template_folder="templates")

CSRF_COOKIE = "bank_csrf"
CSRF_MAX_AGE = 3600
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")


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


def _page(hold_id: str, status: int = 200, message: str | None = None, tone: str = "info"):
    try:
        with unit_of_work("bank") as uow:
            view = holds.hold_view(holds.get_hold(uow, hold_id))
    except NotFound:
        view, status = None, 404
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(16)
    html = render_template(
        "bank/confirm.html", hold=view, hold_id=hold_id, message=message, tone=tone,
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
def confirm_page(hold_id: str):
    return _page(hold_id)


@bp.post("/confirm/<hold_id>")
def confirm_submit(hold_id: str):
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
        return _page(hold_id, 403, "Wrong PIN. Too many attempts: the hold was released.", "error")
    left = f" {outcome.attempts_left} attempts left." if outcome.attempts_left else ""
    return _page(hold_id, 403, "Wrong PIN." + left, "error")
