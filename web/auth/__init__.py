"""The auth service (port 8001): registers users, logs them in, issues RS256 tokens, revokes
them, and publishes the public key (JWKS) every other service verifies with.

Run: ``flask --app web.auth run --port 8001`` (development) or
``gunicorn -b 0.0.0.0:8001 'web.auth:create_app()'``. Needs the key pair
(``emarket keys generate``), the migrated ``account`` database, Redis (rate limits, revoked
tokens) and a worker on the ``account`` queue (a registration waits for its profile).

Behaviour the contract leaves open, as chosen here:
- Registration stores the credential, then asks Maccount over the ``account`` queue for the
  profile and e-wallet and waits up to ``EMARKET_REPLY_TIMEOUT`` seconds. No reply in time is a
  503 with ``Retry-After``; the message stays queued and a worker creates the profile when it
  takes it. A registered email is 409 ``email_taken`` whatever the password (no password is
  checked, so registration is no way to guess one). A client that sends an Idempotency-Key
  (scoped to the email) can retry safely: the same key and body get the first 201 back, and a
  retry after a 503 re-sends the idempotent profile step and answers 201 with the same id.
- Login failures of every kind (unknown email, wrong password, not an email, any length) are
  one 401 ``invalid_credentials``; an unknown email still costs one argon2 verification. Limits
  are sliding windows in Redis: 10 failures per email, 100 per client address, in 15 minutes;
  a success clears that email's count. The address is ``request.remote_addr``, or the
  browser's address when the shop's pages vouch for it with an HMAC under the shared
  ``EMARKET_SECRET_KEY`` (web/common/client_address.py); behind a reverse proxy, wrap the app
  in werkzeug's ProxyFix so ``remote_addr`` is the client's.
- Refresh rotates: the presented refresh token is revoked, and the new pair keeps the
  session's ``sid``; the user's roles are read again, so a promotion shows on the next refresh.
  A rotated refresh token presented again revokes its whole session (someone holds a copy).
- Tokens are accepted here in the ``Authorization`` header only; the shop handles cookies.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from emarket.config import Settings, in_force
from web.auth import profiles, tokens
from web.auth.api import bp
from web.common import health
from web.common.app_base import base_app
from web.common.jwt_setup import init_jwt

_JWT = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def create_app(settings: Settings | None = None) -> Flask:
    """The auth service; ``settings``: its own (a test's), else the environment's."""
    with in_force(settings) as s:
        app = base_app(__name__, title="emarket auth API", document_url="/auth/openapi.json",
                       description="Errors are `{\"error\": {\"code\", \"message\"}}`.",
                       security_schemes={"bearer": {**_JWT, "description": "access token"},
                                         "refresh": {**_JWT, "description": "refresh token"}},
                       given=settings)
        init_jwt(app, signing=True)
        app.config["EMARKET_JWK"] = tokens.public_jwk(Path(s.jwt_public_key).read_text())
        app.extensions["emarket_account_queue"] = profiles.account_queue_client()
        app.register_api(bp)
        health.install(app, "auth", databases=("account",), broker=True, cache=True)
    return app
