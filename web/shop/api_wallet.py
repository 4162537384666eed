"""The caller's e-wallet and its ledger (docs/api.md "Shop — Wallet"; top-ups live in topups_api)."""
from __future__ import annotations

from functools import partial

from flask import Response, g, jsonify
from flask_openapi3 import APIBlueprint
from flask_openapi3.request import validate_request

from emarket import queries
from emarket.config import settings
from emarket.storage import unit_of_work
from web.common.api_docs import errors
from web.common.jwt_setup import auth_required
from web.shop.listing import list_reply
from web.shop.schemas import BEARER, PageQuery, TransactionList, WalletOut

bp = APIBlueprint("api_wallet", __name__)


@bp.get("/api/wallet", summary="The caller's e-wallet", security=BEARER, responses={200: WalletOut, **errors(401, 503)})
@auth_required()
def wallet() -> Response:
    with unit_of_work("account") as uow:
        view = queries.wallet_view(uow, g.caller.id)
    return jsonify({**view, "currency": settings().currency})


@bp.get("/api/wallet/transactions", summary="The wallet's ledger, newest first", security=BEARER,
        responses={200: TransactionList, **errors(400, 401, 503)})
@auth_required()
@validate_request()
def transactions(query: PageQuery) -> Response:
    return list_reply(query, "account", "transactions", partial(queries.wallet_transactions, user_id=g.caller.id))
