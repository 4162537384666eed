"""Register, log in, log out: forms whose work the auth service does (through auth_client);
the tokens it issues are kept in HttpOnly cookies, with flask-jwt-extended's CSRF cookie."""
from __future__ import annotations

import re
from typing import Any, cast

from flask import Response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_jwt_extended import (
    decode_token,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
)
from markupsafe import Markup

from web.shop import auth_client, cart
from web.shop.page_auth import (
    check_anonymous_csrf,
    page_blueprint,
    safe_next,
    verified_form_post,
)

bp = page_blueprint("pages_account", __name__)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
UNAVAILABLE = "The sign-in service is not answering just now; please try again in a moment."


def _logged_in(tokens: dict[str, Any], target: str) -> Response:
    cart.adopt(int(decode_token(tokens["access_token"])["sub"]))
    response = cast(Response, redirect(safe_next(target), code=303))  # the app's response_class: a flask Response
    set_access_cookies(response, tokens["access_token"])
    set_refresh_cookies(response, tokens["refresh_token"])
    return response


def _form(name: str) -> str:
    return request.form.get(name, "")


@bp.get("/login")
def login() -> str:
    return render_template("login.html", next=safe_next(request.args.get("next")), email="")


@bp.post("/login")
def login_post() -> ResponseReturnValue:
    check_anonymous_csrf()
    target, email = safe_next(_form("next")), _form("email")
    try:
        reply = auth_client.login(email, _form("password"), request.remote_addr)
    except auth_client.AuthUnavailable:
        return render_template("login.html", next=target, email=email, error=UNAVAILABLE), 503
    if reply.status == 200:
        return _logged_in(reply.body, target)
    if reply.status == 429:
        error = f"Too many attempts. Try again in {reply.retry_after or 'a few'} seconds."
    elif reply.status in (400, 401):
        error = "Wrong email or password."
    else:
        return render_template("login.html", next=target, email=email, error=UNAVAILABLE), 503
    return render_template("login.html", next=target, email=email, error=error), reply.status


@bp.get("/register")
def register() -> str:
    return render_template("register.html", email="", name="")


def _register_field_errors(email: str, name: str, password: str) -> dict[str, str]:
    """docs/api.md's limits, checked here first so each message sits next to its field."""
    errors: dict[str, str] = {}
    if not EMAIL.fullmatch(email) or len(email) > 254:
        errors["email"] = "Enter an email address such as ann@example.com."
    if len(name) > 100:
        errors["name"] = "At most 100 characters."
    if not 8 <= len(password) <= 128:
        errors["password"] = "Choose a password of 8 to 128 characters."
    return errors


# What the auth service refused, as a person reads it (its messages are the validator's).
REFUSED = {
    "email": "That address cannot receive mail (its part after the @ is a reserved or special-use name): "
             "use an email address you read, such as ann@gmail.com.",
    "password": "Choose a password of 8 to 128 characters.",
    "name": "At most 100 characters, without line breaks or control characters.",
}


def _field_of(message: str) -> str | None:
    """The field a 400 from the auth service names (docs/api.md: "email: …"), if one of ours."""
    field = message.split(":", 1)[0].strip()
    return field if field in REFUSED else None


@bp.post("/register")
def register_post() -> ResponseReturnValue:
    check_anonymous_csrf()
    email, name, password = _form("email"), _form("name"), _form("password")

    def again(error: str, status: int, errors: dict[str, str] | None = None) -> tuple[str, int]:
        return render_template("register.html", email=email, name=name, error=error, errors=errors or {}), status

    errors = _register_field_errors(email, name, password)
    if errors:
        return again("", 400, errors)
    try:
        created = auth_client.register(email, password, name or None, request.remote_addr)
        if created.status == 409:
            login = url_for("pages_account.login")
            return again("", 409, {"email": Markup('That email is already registered. <a href="{}">Log in instead?</a>')
                                   .format(login)})
        if created.status == 400:
            field = _field_of(created.message or "")
            return again("" if field else "Please check the fields.", 400, {field: REFUSED[field]} if field else {})
        if created.status != 201:
            return again(UNAVAILABLE, 503)
        tokens = auth_client.login(email, password, request.remote_addr)
    except auth_client.AuthUnavailable:
        return again(UNAVAILABLE, 503)
    if tokens.status != 200:
        return redirect(url_for("pages_account.login"), code=303)
    return _logged_in(tokens.body, url_for("pages.catalogue"))


@bp.post("/logout")
def logout() -> Response:
    verified_form_post()  # a cross-site page may not log the visitor out either
    auth_client.logout(request.cookies.get("access_token_cookie", ""))
    # The next visitor of this browser starts with an empty cart; the shopper's own stays saved
    # under their id (emarket.saved_carts) for their next login.
    session.pop("cart", None)
    response = cast(Response, redirect(url_for("pages.catalogue"), code=303))  # the app's response_class
    unset_jwt_cookies(response)
    return response
