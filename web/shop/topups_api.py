"""Wallet top-ups (docs/api.md "Shop — Wallet"): create one, list them, read one.

The top-up is stored ``initiated`` before the reply; its ``money_add.start`` message is sent
after that commit. Should the broker refuse it, the top-up is not lost: the sweep job restarts
``initiated`` top-ups it finds idle.
"""
from __future__ import annotations

import logging
from functools import partial
from typing import Annotated

from flask import Response, g, jsonify, url_for
from flask_openapi3 import APIBlueprint
from flask_openapi3.request import validate_request
from pydantic import Field, StringConstraints

from db.account import IdempotentRequest
from db.limits import TOPUP_AMOUNT
from db.unit_of_work import UnitOfWork
from emarket import topup
from emarket.idempotency import Reply
from emarket.storage import unit_of_work
from tasks import metrics as saga_metrics
from tasks.celery_app import app as celery_app
from web.common import idempotency as idempotent
from web.common.api_docs import IdempotencyHeader, errors, with_headers
from web.common.jwt_setup import auth_required
from web.common.validation import StrictModel
from web.shop.listing import list_reply
from web.shop.schemas import BEARER, PageQuery, Topup, TopupList, TopupPath

log = logging.getLogger(__name__)
bp = APIBlueprint("api_topups", __name__)


class TopupCreate(StrictModel):
    amount: Annotated[int, Field(ge=TOPUP_AMOUNT.lo, le=TOPUP_AMOUNT.hi)]
    bank_account: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,34}$")]


def _send_start(topup_id: str) -> None:
    try:
        celery_app.send_task("money_add.start", args=[topup_id])
    except Exception:  # stored already; the sweep job will start it
        log.warning("top-up %s stored but its start message was not sent", topup_id, exc_info=True)


@bp.post("/api/wallet/topups", summary="Top up the wallet from a bank account", security=BEARER,
         responses={202: with_headers("Topup", "the top-up, started", "Location"),
                    **errors(400, 401, 404, 409, 413, 422, 503)})
@auth_required()
@validate_request()
def create_topup(header: IdempotencyHeader, body: TopupCreate) -> Response:
    user_id = g.caller.id

    def create(uow: UnitOfWork) -> str:
        row = topup.create_topup(uow, user_id, body.amount, body.bank_account)
        uow.after_commit(lambda: _send_start(row.id))
        uow.after_commit(lambda: saga_metrics.topup_moved(topup.INITIATED))
        return row.id

    def render(uow: UnitOfWork, topup_id: str) -> Reply:
        view = topup.topup_view(topup.get_topup(uow, topup_id))
        return idempotent.json_reply(202, view, url_for("api_topups.get_topup", topup_id=topup_id))

    return idempotent.create_once("account", IdempotentRequest, f"user:{user_id}", header.idempotency_key,
                                  body.model_dump(), create, render)


@bp.get("/api/wallet/topups", summary="The caller's top-ups, newest first", security=BEARER,
        responses={200: TopupList, **errors(400, 401, 503)})
@auth_required()
@validate_request()
def list_topups(query: PageQuery) -> Response:
    return list_reply(query, "account", "topups", partial(topup.list_topups, user_id=g.caller.id), view=topup.topup_view)


@bp.get("/api/wallet/topups/<topup_id>", summary="One top-up", security=BEARER,
        responses={200: Topup, **errors(401, 404, 503)})
@auth_required()
@validate_request()
def get_topup(path: TopupPath) -> Response:
    with unit_of_work("account") as uow:
        return jsonify(topup.topup_view(topup.get_topup(uow, path.topup_id, user_id=g.caller.id)))
