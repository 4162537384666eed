"""The shop's pages: catalogue, product and checkout, the order page, the personal cabinet,
the wallet and the admin's product list. They read through emarket's catalogue and query
functions and place orders through the saga, exactly like the JSON API they sit beside.

The live parts are server-rendered fragments (``…/live``) that the page's script fetches again
while something can still change, so statuses and timelines are worded in one place (the
templates and ``words``); Pay and Cancel call the JSON API."""
from __future__ import annotations

import uuid
from typing import Annotated, Any

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import Field, ValidationError
from werkzeug.exceptions import HTTPException

from db.limits import IDEMPOTENCY_KEY, QUANTITY
from emarket import catalog, queries, topup
from emarket.config import settings
from emarket.errors import IdempotencyConflict, NotFound
from emarket.storage import unit_of_work
from web.common import request_log
from web.common.errors import error_response, wants_html
from web.shop import cart, order_page, saga_client
from web.shop.page_auth import (
    caller_email,
    form_csrf_token,
    login_page_required,
    page_blueprint,
    page_caller,
    page_error,
    safe_next,
    verified_form_post,
)
from web.shop.schemas import QueryInt, QueryModel

bp = page_blueprint("pages", __name__)


class CheckoutForm(QueryModel):
    quantity: Annotated[int, QueryInt, Field(ge=QUANTITY.lo, le=QUANTITY.hi)]
    idempotency_key: Annotated[str, Field(min_length=IDEMPOTENCY_KEY.lo, max_length=IDEMPOTENCY_KEY.hi)]


@bp.app_errorhandler(404)
def _not_found(error: HTTPException) -> ResponseReturnValue:
    # Pages, and a browser's mistyped address, get a page; API clients keep docs/api.md's JSON error.
    is_page = request.blueprint in ("pages", "pages_account", "cart", "console")
    if is_page or wants_html():
        return page_error(error)
    return error_response(404, "not_found", "no such resource")


@bp.app_context_processor
def _page_context() -> dict[str, Any]:
    return {"caller": page_caller(), "csrf_token": form_csrf_token, "caller_email": caller_email,
            "currency": settings().currency,
            "cart_count": cart.item_count()}


def _products_page(limit: int, cursor: str | None, with_hidden: bool = False) -> tuple[list[catalog.Product], str | None]:
    try:
        with unit_of_work("emarket") as uow:
            return catalog.list_products(uow, limit=limit, cursor=cursor, with_hidden=with_hidden)
    except queries.BadCursor:
        abort(400, "That page link is not valid any more.")


@bp.get("/")
def catalogue() -> str:
    products, following = _products_page(24, request.args.get("cursor") or None)
    return render_template("catalogue.html", products=products, next_cursor=following)


def _product_or_404(product_id: int) -> catalog.Product:
    try:
        with unit_of_work("emarket") as uow:
            return catalog.get_product(uow, product_id)
    except NotFound:
        abort(404, "There is no such product.")


@bp.get("/products/<int:product_id>")
def product(product_id: int) -> str:
    return render_template("product.html", product=_product_or_404(product_id),
                           idempotency_key=str(uuid.uuid4()))


@bp.post("/products/<int:product_id>/order")
def checkout(product_id: int) -> ResponseReturnValue:
    """The product page's Buy form: place the order, then show it (Post/Redirect/Get)."""
    caller = verified_form_post()
    item = _product_or_404(product_id)

    def again(error: str, status: int) -> tuple[str, int]:
        return render_template("product.html", product=item, idempotency_key=str(uuid.uuid4()),
                               error=error), status

    if item.hidden:
        return again("This product is no longer sold.", 409)
    try:
        form = CheckoutForm.model_validate(request.form.to_dict(flat=True))
    except ValidationError:
        return again(f"Choose a quantity from {QUANTITY.lo} to {QUANTITY.hi}.", 400)
    try:
        order_id = saga_client.place_order(
            caller.id, [{"product_id": product_id, "quantity": form.quantity}], form.idempotency_key,
            correlation_id=request_log.correlation_id()).resource_id
    except IdempotencyConflict:
        return again("This form was already used for another order; please try again.", 422)
    return redirect(url_for("pages.order", order_id=order_id), code=303)


@bp.get("/orders/<order_id>")
@login_page_required()
def order(order_id: str) -> str:
    return render_template("order.html", **order_page.context(order_id))


@bp.get("/orders/<order_id>/live")
@login_page_required()
def order_live(order_id: str) -> str:
    """The order page's changing part, fetched again by the page while the order can move."""
    return render_template("_order_live.html", **order_page.context(order_id))


def _cabinet_rows(cursor: str | None) -> tuple[list[dict[str, Any]], str | None, dict[str, list[dict[str, Any]]], dict[int, str]]:
    caller = page_caller()
    assert caller is not None  # called only by pages behind login_page_required
    try:
        with unit_of_work("emarket") as uow:
            orders, following = queries.list_orders(uow, caller.id, limit=50, cursor=cursor)
            lines = queries.order_lines(uow, [o["id"] for o in orders])
    except queries.BadCursor:
        abort(400, "That page link is not valid any more.")
    names = order_page.product_names({line["product_id"] for found in lines.values() for line in found})
    return orders, following, lines, names


@bp.get("/orders")
@login_page_required()
def cabinet() -> str:
    cursor = request.args.get("cursor") or None
    orders, following, lines, names = _cabinet_rows(cursor)
    return render_template("orders.html", orders=orders, next_cursor=following, lines=lines, names=names,
                           first_page=cursor is None)


@bp.get("/orders/live")
@login_page_required()
def cabinet_live() -> str:
    """The cabinet's first page of rows, fetched again by the page: new orders and statuses."""
    orders, _following, lines, names = _cabinet_rows(None)
    return render_template("_cabinet_rows.html", orders=orders, lines=lines, names=names)


def _wallet_now(with_transactions: bool) -> dict[str, Any]:
    """The wallet's changing part: balance, latest top-ups and (on the first page) the latest
    transactions, so a top-up credited while the page is open shows without a reload."""
    caller = page_caller()
    assert caller is not None  # called only by pages behind login_page_required
    with unit_of_work("account") as uow:
        view = queries.wallet_view(uow, caller.id)
        rows, _last = topup.list_topups(uow, caller.id, limit=10)
        found: dict[str, Any] = {"wallet": view, "topups": [{**topup.topup_view(row), "failure": row.failure} for row in rows], "live_transactions": False}
        if with_transactions:
            found["transactions"], found["next_cursor"] = queries.wallet_transactions(uow, caller.id, limit=20)
            found["live_transactions"] = True
    return found


def _back_to_order() -> str:
    """Where the wallet sends the shopper back to: only one of their order pages."""
    back = request.args.get("back", "")
    return back if back.startswith("/orders/") and safe_next(back) == back else ""


@bp.get("/wallet")
@login_page_required()
def wallet() -> str:
    cursor = request.args.get("cursor") or None
    found = _wallet_now(with_transactions=cursor is None)
    if cursor:
        caller = page_caller()
        assert caller is not None  # this page is behind login_page_required
        try:
            with unit_of_work("account") as uow:
                found["transactions"], found["next_cursor"] = queries.wallet_transactions(
                    uow, caller.id, limit=20, cursor=cursor)
        except queries.BadCursor:
            abort(400, "That page link is not valid any more.")
    return render_template("wallet.html", back=_back_to_order(), **found)


@bp.get("/wallet/live")
@login_page_required()
def wallet_live() -> str:
    """The wallet's balance and top-ups, or (``?part=transactions``) its latest transactions,
    fetched again by the page while it is open."""
    if request.args.get("part") == "transactions":
        return render_template("_wallet_transactions_live.html", **_wallet_now(with_transactions=True))
    return render_template("_wallet_live.html", **_wallet_now(with_transactions=False))


@bp.get("/admin/products")
@login_page_required(admin=True)
def admin_products() -> str:
    products, following = _products_page(100, request.args.get("cursor") or None, with_hidden=True)
    created_id = request.args.get("created", "")
    # The page after a product is created (app.js comes back here with its id) confirms it.
    created = next((p for p in products if str(p.id) == created_id), None) if created_id.isdigit() else None
    return render_template("admin_products.html", products=products, next_cursor=following, created=created)


