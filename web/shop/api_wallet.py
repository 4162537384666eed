"""The caller's e-wallet and its ledger (docs/api.md "Shop — Wallet"; top-ups live in topups_api)."""
from __future__ import annotations

from functools import partial

from flask import Blueprint, g, jsonify

from emarket import queries
from emarket.config import settings
from emarket.storage import unit_of_work
from web.common.jwt_setup import auth_required
from web.shop.listing import list_reply

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
    return list_reply("account", "transactions", partial(queries.wallet_transactions, user_id=g.caller.id))
