"""Every setting of emarket, read from ``EMARKET_*`` environment variables.

The defaults are the embedded run: a PostgreSQL server and a Redis server, both shipped by pip
packages, with their files under ``var/``.
Operators point the same variables at PostgreSQL, RabbitMQ and Redis for the real stack.
The README's configuration table names every one of ``SETTINGS`` below (tests/test_readme.py
checks it), so it cannot drift.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from emarket.broker import QUEUES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Its own port per checkout when two embedded runs (or a test and a run) share a machine.
EMBEDDED_REDIS_PORT = int(os.environ.get("EMARKET_EMBEDDED_REDIS_PORT", "6389"))


def _var_dir() -> Path:
    return Path(os.environ.get("EMARKET_VAR_DIR", PROJECT_ROOT / "var")).resolve()


def _embedded_pg(name: str) -> str:
    from emarket.embedded_pg import url

    return url(_var_dir(), name)


def _embedded_redis(db: int) -> str:
    return f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/{db}"


@dataclass(frozen=True)
class Settings:
    var_dir: str
    db_account: str
    db_emarket: str
    db_bank: str
    broker_url: str
    quorum_queues: str
    broker_heartbeat: float
    broker_io_timeout: float
    result_backend: str
    redis_url: str
    payment_timeout: int
    currency: str
    jwt_private_key: str
    jwt_public_key: str
    jwks_url: str
    jwt_issuer: str
    access_token_ttl: int
    refresh_token_ttl: int
    shop_port: int
    auth_port: int
    bank_port: int
    flower_port: int
    flower_public_url: str
    auth_url: str
    bank_url: str
    bank_public_url: str
    bank_merchant_key: str
    bank_admin_key: str
    bank_merchant_account: str
    bank_hold_ttl: int
    bank_timeout: float
    shop_public_url: str
    topup_poll_interval: float
    topup_poll_max: float
    topup_sweep_after: int
    saga_stuck_after: int
    beat_interval: float
    audit_interval: float
    reply_timeout: float
    step_max_retries: int
    step_backoff_base: float
    log_level: str
    metrics_dir: str
    metrics_prefix: str
    secret_key: str
    secure_cookies: bool
    task_events: bool


# name -> (environment variable, default factory, description). One table for code and README.
SETTINGS: dict[str, tuple[str, object, str]] = {
    "var_dir": ("EMARKET_VAR_DIR", lambda: str(_var_dir()), "folder for the embedded run's files (PostgreSQL, Redis, keys, logs)"),
    "db_account": ("EMARKET_DB_ACCOUNT", lambda: _embedded_pg("account"), "SQLAlchemy URL of the `account` database (users, wallets, top-ups); unset: the embedded PostgreSQL under `var/postgres`"),
    "db_emarket": ("EMARKET_DB_EMARKET", lambda: _embedded_pg("emarket"), "SQLAlchemy URL of the `emarket` database (orders, products, saga events)"),
    "db_bank": ("EMARKET_DB_BANK", lambda: _embedded_pg("bank"), "SQLAlchemy URL of the bank's own database"),
    "broker_url": ("EMARKET_BROKER_URL", lambda: _embedded_redis(0), "Celery broker (RabbitMQ `amqp://…` in the real stack)"),
    "result_backend": ("EMARKET_RESULT_BACKEND", lambda: _embedded_redis(1), "Celery result backend (Redis)"),
    "redis_url": ("EMARKET_REDIS_URL", lambda: _embedded_redis(2), "Redis for revoked tokens, rate limits and caches"),
    "quorum_queues": ("EMARKET_QUORUM_QUEUES", lambda: ",".join(QUEUES), "RabbitMQ only: the queues declared as quorum queues (at least one: countdowns then wait in the broker), the others classic; changing it needs a fresh vhost (docs/operations.md)"),
    "broker_heartbeat": ("EMARKET_BROKER_HEARTBEAT", lambda: 4.0, "RabbitMQ only: AMQP heartbeat of a worker's connection, s; a node that stops answering (frozen, cut off) is left for the next one of the URL list after about twice this (docs/cluster.md)"),
    "broker_io_timeout": ("EMARKET_BROKER_IO_TIMEOUT", lambda: 5.0, "RabbitMQ only: the longest a publish waits for its confirm (or any blocking socket read or write), s; then the connection is dropped and the publish retried on the next node (docs/cluster.md)"),
    "payment_timeout": ("EMARKET_PAYMENT_TIMEOUT", lambda: 300, "seconds an order waits for payment before it is cancelled"),
    "currency": ("EMARKET_CURRENCY", lambda: "USD", "the deployment's one currency (amounts are minor units)"),
    "jwt_private_key": ("EMARKET_JWT_PRIVATE_KEY", lambda: str(_var_dir() / "jwt" / "private.pem"), "PEM file of the auth service's RS256 signing key"),
    "jwt_public_key": ("EMARKET_JWT_PUBLIC_KEY", lambda: str(_var_dir() / "jwt" / "public.pem"), "PEM file of the public key other services verify with"),
    "jwks_url": ("EMARKET_JWKS_URL", lambda: "", "JWKS URL to fetch the public key from instead of the file (empty: use the file)"),
    "jwt_issuer": ("EMARKET_JWT_ISSUER", lambda: "emarket-auth", "`iss` claim of issued tokens"),
    "access_token_ttl": ("EMARKET_ACCESS_TOKEN_TTL", lambda: 900, "access token lifetime, seconds"),
    "refresh_token_ttl": ("EMARKET_REFRESH_TOKEN_TTL", lambda: 14 * 24 * 3600, "refresh token lifetime, seconds"),
    "shop_port": ("EMARKET_SHOP_PORT", lambda: 8000, "port of the shop (pages + JSON API)"),
    "auth_port": ("EMARKET_AUTH_PORT", lambda: 8001, "port of the auth service"),
    "bank_port": ("EMARKET_BANK_PORT", lambda: 8002, "port of the bank"),
    "flower_port": ("EMARKET_FLOWER_PORT", lambda: 5555, "port of Flower"),
    "flower_public_url": ("EMARKET_FLOWER_PUBLIC_URL", lambda: "http://127.0.0.1:5555", "base URL of Flower as an operator's browser reaches it (the saga console links each step's task to it)"),
    "auth_url": ("EMARKET_AUTH_URL", lambda: "http://127.0.0.1:8001", "base URL of the auth service, as the shop reaches it"),
    "bank_url": ("EMARKET_BANK_URL", lambda: "http://127.0.0.1:8002", "base URL of the bank, as the shop's workers reach it"),
    "bank_public_url": ("EMARKET_BANK_PUBLIC_URL", lambda: "http://127.0.0.1:8002", "base URL of the bank as a browser reaches it (confirm_url)"),
    "bank_merchant_key": ("EMARKET_BANK_MERCHANT_KEY", lambda: "dev-merchant-key", "API key the shop uses at the bank"),
    "bank_admin_key": ("EMARKET_BANK_ADMIN_KEY", lambda: "dev-admin-key", "the bank's admin API key (creating accounts)"),
    "bank_merchant_account": ("EMARKET_BANK_MERCHANT_ACCOUNT", lambda: "40000000000000000001", "the shop's merchant account number at the bank"),
    "bank_hold_ttl": ("EMARKET_BANK_HOLD_TTL", lambda: 900, "seconds before an unconfirmed bank hold expires"),
    "bank_timeout": ("EMARKET_BANK_TIMEOUT", lambda: 5.0, "seconds the shop waits for one call to the bank"),
    "shop_public_url": ("EMARKET_SHOP_PUBLIC_URL", lambda: "http://127.0.0.1:8000", "base URL of the shop as a browser reaches it (the bank's link back)"),
    "topup_poll_interval": ("EMARKET_TOPUP_POLL_INTERVAL", lambda: 2.0, "first wait, seconds, before the shop polls a top-up's bank hold (doubles, with jitter)"),
    "topup_poll_max": ("EMARKET_TOPUP_POLL_MAX", lambda: 30.0, "longest wait, seconds, between two polls of a bank hold"),
    "topup_sweep_after": ("EMARKET_TOPUP_SWEEP_AFTER", lambda: 60, "seconds a top-up may sit unchanged before the sweep job resumes it"),
    "saga_stuck_after": ("EMARKET_SAGA_STUCK_AFTER", lambda: 120, "seconds after which a non-final saga counts as stuck and is resumed"),
    "beat_interval": ("EMARKET_BEAT_INTERVAL", lambda: 30.0, "seconds between two runs of each beat sweep (overdue orders, stuck sagas, stuck top-ups)"),
    "audit_interval": ("EMARKET_AUDIT_INTERVAL", lambda: 3600.0, "seconds between two audits of the books by beat (`saga.audit`: finds, repairs what it safely can, counts; `emarket saga audit` runs it by hand)"),
    "reply_timeout": ("EMARKET_REPLY_TIMEOUT", lambda: 10.0, "seconds the web waits for a reply over the broker before 503"),
    "step_max_retries": ("EMARKET_STEP_MAX_RETRIES", lambda: 8, "retries of a saga step on a transient error before it compensates (a database or broker out of reach is retried until it is back, never compensated: docs/cluster-faults.md)"),
    "step_backoff_base": ("EMARKET_STEP_BACKOFF_BASE", lambda: 0.5, "first retry delay, seconds (doubles each retry, full jitter, capped at 30 s)"),
    "log_level": ("EMARKET_LOG_LEVEL", lambda: "INFO", "log level of every process"),
    "metrics_dir": ("EMARKET_METRICS_DIR", lambda: str(_var_dir() / "metrics"), "folder of the HTTP services' Prometheus multiprocess files (one sub-folder per service under gunicorn)"),
    "metrics_prefix": ("EMARKET_METRICS_PREFIX", lambda: "emarket:metrics", "Redis key prefix of the saga figures the workers count and the shop's /metrics serves"),
    "secret_key": ("EMARKET_SECRET_KEY", lambda: "dev-secret-change-me", "Flask secret (CSRF tokens); set a random one in production"),
    "secure_cookies": ("EMARKET_SECURE_COOKIES", lambda: False, "send auth cookies only over HTTPS"),
    "task_events": ("EMARKET_TASK_EVENTS", lambda: False, "workers send Celery task events from the start (off: Flower turns them on while it runs; each costs a message per task state)"),
}


def _convert(raw: str, default: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load_settings() -> Settings:
    values = {}
    for field in fields(Settings):
        env, default_factory, _ = SETTINGS[field.name]
        default = default_factory()
        raw = os.environ.get(env)
        values[field.name] = default if raw is None or raw == "" else _convert(raw, default)
    return Settings(**values)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, read once. Tests call ``settings.cache_clear()`` after changing env."""
    return load_settings()
