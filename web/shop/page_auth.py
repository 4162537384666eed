"""Who is looking at a page, from the HttpOnly token cookies, and the pages' CSRF tokens.

Pages never answer a bad or expired cookie with a JSON 401: the visitor is simply anonymous
(and sent to the log-in page where one is needed). An expired access cookie is renewed once
with the refresh cookie, through the auth service. Forms posted by a logged-in visitor are
checked by flask-jwt-extended's double-submit (the form's ``csrf_token`` against the token's
``csrf`` claim); the anonymous forms (log in, register) by a token in the signed session.
"""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, cast
from urllib.parse import urlsplit

import jwt as pyjwt
from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_jwt_extended import (
    get_jwt,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import JWTExtendedException
from werkzeug.exceptions import HTTPException

from emarket import accounts
from emarket.storage import unit_of_work
from web.common.errors import ApiError
from web.common.jwt_setup import Caller
from web.shop import auth_client

_P = ParamSpec("_P")


def page_caller() -> Caller | None:
    """The logged-in visitor, or None (no cookie, or one that does not verify)."""
    if "page_caller" not in g:
        g.page_caller = None
        try:
            if verify_jwt_in_request(optional=True, locations=["cookies"]) is not None:
                claims = get_jwt()
                if claims.get("type") == "access":
                    g.page_caller = Caller(claims)
        except (JWTExtendedException, pyjwt.PyJWTError, ApiError, KeyError, ValueError, TypeError):
            g.page_caller = None
    return cast("Caller | None", g.page_caller)


def caller_email() -> str:
    """The logged-in visitor's email, for the header: read once per browser session, then kept
    in the signed session cookie (the token does not carry it)."""
    caller = page_caller()
    if caller is None:
        return ""
    if session.get("who_id") != caller.id:
        with unit_of_work("account") as uow:
            session["who_email"] = accounts.emails_by_id(uow, [caller.id]).get(caller.id, "")
        session["who_id"] = caller.id
    return cast(str, session.get("who_email", ""))


def form_csrf_token() -> str:
    """The token every form carries: the access token's csrf claim, or the session's."""
    if page_caller() is not None:
        return cast(str, get_jwt().get("csrf", ""))
    if "form_csrf" not in session:
        session["form_csrf"] = secrets.token_urlsafe(32)
    return cast(str, session["form_csrf"])


def check_anonymous_csrf() -> None:
    expected, given = session.get("form_csrf", ""), request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(expected, given):
        abort(403, "the form's CSRF token is missing or stale; reload the page")


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    # Browsers read "/\\host" as "//host": no backslash or control character may pass either.
    if (not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc
            or any(ch == "\\" or ord(ch) < 32 for ch in target)):
        return url_for("pages.catalogue")
    return target


def _renewed() -> Response | None:
    """Exchange the refresh cookie for new tokens; a redirect setting them, or None."""
    refresh_token = request.cookies.get("refresh_token_cookie")
    if not refresh_token:
        return None
    tokens = auth_client.refresh(refresh_token)
    if tokens is None:
        return None
    # The app's response_class: a flask Response, which the cookie helpers take.
    response = cast(Response, redirect(request.full_path if request.query_string else request.path))
    set_access_cookies(response, tokens["access_token"])
    set_refresh_cookies(response, tokens["refresh_token"])
    return response


def login_page_required(
        admin: bool = False,
) -> Callable[[Callable[_P, ResponseReturnValue]], Callable[_P, ResponseReturnValue]]:
    """A page for logged-in visitors: others go to the log-in page and come back."""

    def decorator(view: Callable[_P, ResponseReturnValue]) -> Callable[_P, ResponseReturnValue]:
        @wraps(view)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> ResponseReturnValue:
            caller = page_caller()
            if caller is None:
                renewed = _renewed() if request.method == "GET" else None
                if renewed is not None:
                    return renewed
                response = cast(Response, redirect(url_for("pages_account.login", next=request.path)))  # response_class
                unset_jwt_cookies(response)
                return response
            if admin and not caller.is_admin:
                abort(403, "administrators only")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def verified_form_post() -> Caller:
    """A form posted by a logged-in visitor: cookie token and its CSRF token both required
    (a missing or wrong one is flask-jwt-extended's 401)."""
    verify_jwt_in_request(locations=["cookies"])
    claims = get_jwt()
    if claims.get("type") != "access":
        raise ApiError(401, "unauthorized", "an access token is required")
    return Caller(claims)


def page_error(error: HTTPException) -> tuple[str, int]:
    """Pages answer their own errors (403, 404 …) as HTML, not the API's JSON."""
    assert error.code is not None  # what reaches here is a raised HTTP error (abort, NotFound …): it has its code
    return render_template("error.html", status=error.code, message=error.description), error.code


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of pages: its errors answered as pages (``page_error``)."""
    bp = Blueprint(name, import_name)
    bp.register_error_handler(HTTPException, page_error)
    return bp
