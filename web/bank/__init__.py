"""Mbank, the external bank (port 8002): its JSON API for the merchant and operators, and the
confirmation page where an account holder confirms a hold with the PIN."""
from __future__ import annotations

from flask import Flask

from emarket.bank.accounts import ensure_merchant_account
from emarket.config import Settings, in_force
from emarket.storage import unit_of_work
from web.bank import api, pages
from web.common import health
from web.common.app_base import base_app

_KEY = {"type": "apiKey", "in": "header", "name": "X-Api-Key"}


def create_app(settings: Settings | None = None) -> Flask:
    """The bank; ``settings``: its own (a test's), else the environment's."""
    with in_force(settings):
        app = base_app(__name__, title="emarket bank API", document_url="/bank/openapi.json",
                       description="Amounts in integer minor units, with `currency`. "
                                   "Errors are `{\"error\": {\"code\", \"message\"}}`.",
                       security_schemes={"admin_key": {**_KEY, "description": "the operator's key"},
                                         "merchant_key": {**_KEY, "description": "the shop's key"}},
                       given=settings)
        app.register_api(api.bp)
        app.register_blueprint(pages.bp)
        app.register_blueprint(pages.home)
        health.install(app, "bank", databases=("bank",))
        # The shop's merchant account exists from the bank's first start (idempotent).
        with unit_of_work("bank") as uow:
            ensure_merchant_account(uow)
        return app
