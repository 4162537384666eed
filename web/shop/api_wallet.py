"""The caller's e-wallet and its ledger (docs/api.md "Shop — Wallet"; top-ups live in topups_api)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from emarket import queries
from emarket.config import settings
from emarket.storage import unit_of_work
from web.common.errors import ApiError
from web.common.jwt_setup import auth_required
from web.common.validation import parse_query
from web.shop.schemas import PageQuery

bp = Blueprint("api_wallet", __name__)


@bp.get("/api/wallet")
@auth_required()
def wallet():
    with unit_of_work("account") as uow:
        view = queries.wallet_view(uow, g.caller.id)
    return jsonify({**view, "currency": settings().currency})


@bp.get("/api/wallet/transactions")
@auth_required()
def transactions():
    query = parse_query(PageQuery)
    try:
        with unit_of_work("account") as uow:
            entries, following = queries.wallet_transactions(uow, g.caller.id, limit=query.limit,
                                                             cursor=query.cursor)
    except queries.BadCursor:
        raise ApiError(400, "invalid_cursor", "the cursor is not one this service issued") from None
    return jsonify({"transactions": entries, "currency": settings().currency, "next": following})
