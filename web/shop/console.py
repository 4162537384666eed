"""The operators' saga console (admin role), ``/admin/sagas``: orders counted by status, the
stuck sagas (the same rule as ``emarket saga stuck`` and the beat sweep) with a Resume button
that runs the sweep's own repair for that order (``saga.resume``), the last audit of the books
(``saga.audit``: its findings and what it repaired), a search by order id, and
each saga's timeline across services with every step's Celery task (linked to Flower), the
worker that ran it, its attempt and a failed step's error. Live parts are fragments the page
fetches again, like the shopper's pages."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from emarket import accounts, audit_report, catalog, saga_console
from emarket.config import settings
from emarket.order_status import STATUSES
from emarket.queries import valid_order_id
from emarket.storage import unit_of_work
from web.shop import flower, saga_client
from web.shop.page_auth import login_page_required, page_error, verified_form_post

bp = Blueprint("console", __name__, url_prefix="/admin/sagas")
bp.register_error_handler(HTTPException, page_error)


def _overview(status: str | None = None) -> dict[str, Any]:
    bound = settings().saga_stuck_after
    status = status if status in STATUSES else None
    with unit_of_work("emarket") as uow:
        found: dict[str, Any] = {"counts": saga_console.counts_by_status(uow), "stuck": saga_console.stuck_sagas(uow, bound),
                 "recent": saga_console.recent(uow, status=status), "bound": bound, "status_filter": status,
                 "audit": audit_report.last()}
    with unit_of_work("account") as uow:
        found["emails"] = accounts.emails_by_id(
            uow, [s.user_id for s in found["stuck"]] + [o["user_id"] for o in found["recent"]])
    return found


@bp.get("")
@login_page_required(admin=True)
def overview() -> ResponseReturnValue:
    wanted = (request.args.get("order") or "").strip()
    status = request.args.get("status") or None
    if not wanted:
        return render_template("console.html", search="", search_error="", matches=[], **_overview(status))
    with unit_of_work("emarket") as uow:
        matches = saga_console.find_by_prefix(uow, wanted)
    if matches is None:
        return render_template("console.html", search=wanted, matches=[], search_error=(
            "Type an order's number as shoppers see it (its first 8 characters, such as 3f2c9a1e) "
            "or more of its id: hex digits and dashes only."), **_overview()), 400
    if len(matches) == 1:
        return redirect(url_for("console.saga", order_id=matches[0]), code=303)
    if not matches:
        return _unknown(wanted)
    return render_template("console.html", search=wanted, search_error="", matches=matches, **_overview())


def _unknown(number: str) -> tuple[str, int]:
    """An order number that matches no order, explained on the console's own page."""
    return render_template("console_unknown.html", number=number), 404


@bp.get("/live")
@login_page_required(admin=True)
def overview_live() -> str:
    return render_template("_console_live.html", **_overview(request.args.get("status") or None))


def _saga(order_id: str) -> dict[str, Any] | None:
    with unit_of_work("emarket") as uow:
        found = saga_console.saga(uow, order_id)
        if found is None:
            return None
        found["stuck"] = saga_console.is_stuck(uow, found["id"], settings().saga_stuck_after)
        found["names"] = {pid: p.name for pid, p in catalog.products_by_id(
            uow, [i["product_id"] for i in found["items"]]).items()}
    with unit_of_work("account") as uow:
        found["email"] = accounts.emails_by_id(uow, [found["user_id"]]).get(found["user_id"])
    found["not_in_flower"] = flower.unknown_tasks(e["task_id"] for e in found["events"] if e["task_id"])
    return found


def _saga_page(template: str, order_id: str) -> ResponseReturnValue:
    found = _saga(order_id)
    if found is None:
        return _unknown(order_id)
    return render_template(template, saga=found, flower=settings().flower_public_url.rstrip("/"))


@bp.get("/<order_id>")
@login_page_required(admin=True)
def saga(order_id: str) -> ResponseReturnValue:
    return _saga_page("console_saga.html", order_id)


@bp.get("/<order_id>/live")
@login_page_required(admin=True)
def saga_live(order_id: str) -> ResponseReturnValue:
    return _saga_page("_console_saga_live.html", order_id)


@bp.post("/<order_id>/resume")
@login_page_required(admin=True)
def resume(order_id: str) -> ResponseReturnValue:
    """What the stuck-saga sweep does, for this order, if it is stuck by the sweep's rule."""
    verified_form_post()
    canonical = valid_order_id(order_id)
    if canonical is None:
        abort(404, "There is no order with that id.")
    try:
        resumed = saga_client.request_resume(canonical)
    except saga_client.ReplyTimeout:
        flash("The saga workers did not answer in time; the sweep will resume it if it stays stuck. "
              "Try again in a moment.", "error")
    else:
        flash(f"Resumed order {canonical[:8]}: its saga goes on from where it stopped." if resumed
              else f"Order {canonical[:8]} is not stuck (any more): nothing was sent.", "info" if resumed else "error")
    target = request.form.get("back") == "saga"
    return redirect(url_for("console.saga", order_id=canonical) if target else url_for("console.overview"), code=303)
