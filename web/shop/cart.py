"""The cart: lines kept in the visitor's signed session cookie (so it survives a reload and
works before logging in) and, for a logged-in shopper, saved under their user id
(``emarket.saved_carts``) so it waits for them at their next login, where the cart they filled
anonymously joins it (``adopt``); a page to change quantities and remove lines, and one "Place
order" that places a single order for every line through the saga.

The cart page carries a fresh Idempotency-Key for its checkout form: a double click (or a
resent form) places one order, not two. The lines ordered are the quantities on that form, so
what the shopper saw is what is ordered. A line whose product ran out says so before checkout.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from db.limits import IDEMPOTENCY_KEY, ORDER_LINES, QUANTITY
from emarket import catalog, queries, saved_carts
from emarket.catalog import Product
from emarket.errors import IdempotencyConflict, NotFound
from emarket.storage import unit_of_work
from web.common import request_log
from web.shop import saga_client
from web.shop.page_auth import (
    check_anonymous_csrf,
    page_blueprint,
    page_caller,
    safe_next,
    verified_form_post,
)

bp = page_blueprint("cart", __name__)

MAX_LINES, MAX_QUANTITY = ORDER_LINES.hi, QUANTITY.hi


@dataclass
class Line:
    product_id: int
    quantity: int
    product: Product | None
    error: str = ""
    typed: str = ""  # what the shopper typed in a field that was refused, shown back to them

    @property
    def subtotal(self) -> int | None:
        return self.product.price * self.quantity if self.product else None


def _valid(raw: object) -> dict[int, int]:
    """product id → quantity, ignoring anything malformed (a tampered cookie, an old entry)."""
    cart = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if str(key).isdigit() and isinstance(value, int) and QUANTITY.lo <= value <= MAX_QUANTITY:
                cart[int(key)] = value
    return cart


def stored() -> dict[int, int]:
    """The session's cart: product id → quantity. A logged-in shopper whose session has no cart
    yet (a new browser session, their token cookie still valid) finds their saved one."""
    if "cart" not in session and (caller := page_caller()) is not None:
        with unit_of_work("emarket") as uow:
            session["cart"] = {str(pid): qty for pid, qty in saved_carts.load(uow, caller.id).items()}
    return _valid(session.get("cart"))


def _store(cart: dict[int, int], user_id: int | None = None) -> None:
    """Keep the cart in the session and, for a logged-in shopper, saved under their id."""
    session["cart"] = {str(pid): qty for pid, qty in cart.items()}
    if user_id is None and (caller := page_caller()) is not None:
        user_id = caller.id
    if user_id is not None:
        with unit_of_work("emarket") as uow:
            saved_carts.replace(uow, user_id, cart)


def merge(first: dict[int, int], second: dict[int, int]) -> dict[int, int]:
    """Both carts as one: the quantities of a product in both are summed, each line capped at
    MAX_QUANTITY, as adding to the cart caps it; ``first``'s lines come first, and lines past
    MAX_LINES are dropped, as adding refuses them."""
    merged: dict[int, int] = {}
    for cart in (first, second):
        for product_id, quantity in cart.items():
            if product_id in merged or len(merged) < MAX_LINES:
                merged[product_id] = min(MAX_QUANTITY, merged.get(product_id, 0) + quantity)
    return merged


def adopt(user_id: int) -> None:
    """At login: what the visitor put in the cart before logging in joins the cart saved for
    them (the lines just chosen first), and the result is both their session's and saved cart.
    Stock is not a limit here: a line beyond what is available says so on the cart page."""
    with unit_of_work("emarket") as uow:
        saved = _valid(saved_carts.load(uow, user_id))
    _store(merge(_valid(session.get("cart")), saved), user_id)


def item_count() -> int:
    return sum(stored().values())


def _check_csrf() -> None:
    """Anyone may fill a cart: a logged-in visitor's form is checked against the token cookie,
    an anonymous one's against the session."""
    if page_caller() is not None:
        verified_form_post()
    else:
        check_anonymous_csrf()


def _quantity(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and QUANTITY.lo <= int(text) <= MAX_QUANTITY else None


def lines(cart: dict[int, int]) -> list[Line]:
    """The cart's lines with their products and what stands in the way of ordering each."""
    with unit_of_work("emarket") as uow:
        products = catalog.products_by_id(uow, cart)
    result = []
    for product_id, quantity in cart.items():
        product = products.get(product_id)
        line = Line(product_id, quantity, product)
        if product is None or product.hidden:
            line.error = "This product is no longer sold: remove it to order the rest."
        elif product.available == 0:
            line.error = "Sold out: remove it to order the rest."
        elif product.available < quantity:
            line.error = f"Only {product.available} left: lower the quantity."
        result.append(line)
    return result


def _page(cart_lines: list[Line], status: int = 200, error: str = "") -> tuple[str, int]:
    total = sum(line.subtotal or 0 for line in cart_lines)
    return render_template("cart.html", lines=cart_lines, total=total, error=error,
                           blocked=any(line.error for line in cart_lines),
                           idempotency_key=str(uuid.uuid4())), status


@bp.get("/cart")
def show() -> tuple[str, int]:
    # A refused update comes back here (Post/Redirect/Get) with its errors kept for one page.
    refused = session.pop("cart_refused", None) or {}
    found = lines(stored())
    for line in found:
        if str(line.product_id) in refused:
            line.typed, line.error = refused[str(line.product_id)]
    return _page(found, 200, "Some quantities were not changed: see below." if refused else "")


@bp.post("/cart/add")
def add() -> ResponseReturnValue:
    _check_csrf()
    target = safe_next(request.form.get("next"))
    product_id, quantity = request.form.get("product_id", ""), _quantity(request.form.get("quantity", "1"))
    with unit_of_work("emarket") as uow:
        product = catalog.products_by_id(uow, [int(product_id)]).get(int(product_id)) if product_id.isdigit() else None
    if product is None or product.hidden or quantity is None:
        flash(f"That could not be added: choose a quantity from {QUANTITY.lo} to {QUANTITY.hi}.", "error")
        return redirect(target, code=303)
    cart = stored()
    if cart.get(product.id, 0) + quantity > product.available:
        held = cart.get(product.id, 0)
        flash(f"Only {product.available} of {product.name} left" + (f", and {held} are in your cart already." if held
              else ": choose fewer."), "error")
        return redirect(target, code=303)
    if product.id not in cart and len(cart) >= MAX_LINES:
        flash(f"A cart holds at most {MAX_LINES} different products.", "error")
        return redirect(target, code=303)
    cart[product.id] = min(MAX_QUANTITY, cart.get(product.id, 0) + quantity)
    _store(cart)
    flash(f"Added {quantity} × {product.name} to your cart.", "info")
    # Back at the same button (app.js focuses it), not at the top of the page.
    return redirect(f"{target}#add-{product.id}", code=303)


def _form_cart(cart: dict[int, int]) -> tuple[dict[int, int], dict[int, tuple[str, str]]]:
    """The quantities as the cart form sent them: the new cart and each bad field's error."""
    updated, errors = {}, {}
    for product_id, quantity in cart.items():
        sent = request.form.get(f"quantity-{product_id}")
        if sent is None:
            updated[product_id] = quantity
            continue
        parsed = _quantity(sent)
        if parsed is None:
            errors[product_id] = (sent[:10], f"Choose a quantity from {QUANTITY.lo} to {QUANTITY.hi}, or press Remove.")
            updated[product_id] = quantity
        else:
            updated[product_id] = parsed
    removed = request.form.get("remove", "")
    if removed.isdigit():
        updated.pop(int(removed), None)
    return updated, errors


def _with_errors(cart: dict[int, int], errors: dict[int, tuple[str, str]]) -> list[Line]:
    found = lines(cart)
    for line in found:
        if line.product_id in errors:
            line.typed, line.error = errors[line.product_id]
    return found


@bp.post("/orders/<order_id>/again")
def order_again(order_id: str) -> ResponseReturnValue:
    """A cancelled order's lines back in the cart (joined with what is there), to order again."""
    caller = verified_form_post()
    with unit_of_work("emarket") as uow:
        try:
            view = queries.order_view(uow, order_id, caller.id)
        except NotFound:
            abort(404, "There is no such order.")
    _store(merge({i["product_id"]: i["quantity"] for i in view["items"]}, stored()))
    flash("The order's items are in your cart again: check them and place the order.", "info")
    return redirect(url_for("cart.show"), code=303)


@bp.post("/cart/update")
def update() -> ResponseReturnValue:
    _check_csrf()
    cart, errors = _form_cart(stored())
    _store(cart)
    if errors:
        session["cart_refused"] = {str(pid): found for pid, found in errors.items()}
    return redirect(url_for("cart.show"), code=303)


@bp.post("/cart/checkout")
def checkout() -> ResponseReturnValue:
    """Place one order for every line, then show it (Post/Redirect/Get)."""
    if page_caller() is None:
        return redirect(url_for("pages_account.login", next=url_for("cart.show")), code=303)
    caller = verified_form_post()
    # The lines are the form's own, not the session's: a second click whose request carries the
    # already emptied cart still names the same lines, so its key finds the same order.
    sent = {int(name.split("-", 1)[1]): 1 for name in request.form
            if name.startswith("quantity-") and name.split("-", 1)[1].isdigit()}
    if len(sent) > MAX_LINES:
        return _page(lines(stored()), 400, f"An order holds at most {MAX_LINES} different products.")
    cart, errors = _form_cart(sent)
    _store(cart)
    cart_lines = _with_errors(cart, errors)
    if not cart_lines:
        return _page(cart_lines, 400, "Your cart is empty.")
    if any(line.error for line in cart_lines):
        return _page(cart_lines, 409, "Some lines cannot be ordered as they are: see below.")
    key = request.form.get("idempotency_key", "")
    if not IDEMPOTENCY_KEY.lo <= len(key) <= IDEMPOTENCY_KEY.hi:
        return _page(cart_lines, 400, "This form has expired; please try again.")
    items = [{"product_id": line.product_id, "quantity": line.quantity} for line in cart_lines]
    try:
        order_id = saga_client.place_order(caller.id, items, key,
                                           correlation_id=request_log.correlation_id()).resource_id
    except IdempotencyConflict:
        return _page(cart_lines, 422, "The cart changed after this form was shown; please place the order again.")
    _store({})
    return redirect(url_for("pages.order", order_id=order_id), code=303)
