"""The operators' saga console (admin role), ``/admin/sagas``: orders counted by status, the
stuck sagas (the same rule as ``emarket saga stuck`` and the beat sweep) with a Resume button
that runs the sweep's own repair for that order (``saga.resume``), the last audit of the books
(``saga.audit``: its findings and what it repaired), a search by order id, and
each saga's timeline across services with every step's Celery task (linked to Flower), the
worker that ran it, its attempt and a failed step's error. Live parts are fragments the page
fetches again, like the shopper's pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from emarket import audit_report, catalog, saga_console
from emarket.config import settings
from emarket.queries import valid_order_id
from emarket.storage import unit_of_work
from tasks import requests as saga_requests
from web.shop.page_auth import login_page_required, page_error, verified_form_post

bp = Blueprint("console", __name__, url_prefix="/admin/sagas")
bp.register_error_handler(HTTPException, page_error)


def _overview() -> dict:
    bound = settings().saga_stuck_after
    with unit_of_work("emarket") as uow:
        return {"counts": saga_console.counts_by_status(uow), "stuck": saga_console.stuck_sagas(uow, bound),
                "recent": saga_console.recent(uow), "bound": bound, "audit": audit_report.last()}


@bp.get("")
@login_page_required(admin=True)
def overview():
    wanted = (request.args.get("order") or "").strip()
    if wanted:
        if valid_order_id(wanted) is None:
            return render_template("console.html", search=wanted, search_error="An order id looks like "
                                   "3f2c…-…: 36 characters of hex digits and dashes.", **_overview()), 400
        return redirect(url_for("console.saga", order_id=valid_order_id(wanted)), code=303)
    return render_template("console.html", search="", search_error="", **_overview())


@bp.get("/live")
@login_page_required(admin=True)
def overview_live():
    return render_template("_console_live.html", **_overview())


def _saga_or_404(order_id: str) -> dict:
    with unit_of_work("emarket") as uow:
        found = saga_console.saga(uow, order_id)
        if found is None:
            abort(404, "There is no order with that id.")
        found["stuck"] = saga_console.is_stuck(uow, found["id"], settings().saga_stuck_after)
        found["names"] = {pid: p.name for pid, p in catalog.products_by_id(
            uow, [i["product_id"] for i in found["items"]]).items()}
    return found


@bp.get("/<order_id>")
@login_page_required(admin=True)
def saga(order_id: str):
    return render_template("console_saga.html", saga=_saga_or_404(order_id),
                           flower=settings().flower_public_url.rstrip("/"))


@bp.get("/<order_id>/live")
@login_page_required(admin=True)
def saga_live(order_id: str):
    return render_template("_console_saga_live.html", saga=_saga_or_404(order_id),
                           flower=settings().flower_public_url.rstrip("/"))


@bp.post("/<order_id>/resume")
@login_page_required(admin=True)
def resume(order_id: str):
    """What the stuck-saga sweep does, for this order, if it is stuck by the sweep's rule."""
    verified_form_post()
    canonical = valid_order_id(order_id)
    if canonical is None:
        abort(404, "There is no order with that id.")
    try:
        resumed = saga_requests.request_resume(canonical)
    except saga_requests.ReplyTimeout:
        flash("The saga workers did not answer in time; the sweep will resume it if it stays stuck. "
              "Try again in a moment.", "error")
    else:
        flash(f"Resumed order {canonical[:8]}: its saga goes on from where it stopped." if resumed
              else f"Order {canonical[:8]} is not stuck (any more): nothing was sent.", "info" if resumed else "error")
    target = request.form.get("back") == "saga"
    return redirect(url_for("console.saga", order_id=canonical) if target else url_for("console.overview"), code=303)
