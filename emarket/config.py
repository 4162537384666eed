"""Every setting of emarket, declared once: its ``EMARKET_*`` environment variable, type, default
and description (pydantic-settings reads and converts them).

The defaults are the embedded run: a PostgreSQL server and a Redis server, both shipped by pip
packages, with their files under ``var/``.
Operators point the same variables at PostgreSQL, RabbitMQ and Redis for the real stack.
The README's configuration table is ``markdown_table()`` (``python -m emarket.config`` prints it;
tests/test_readme.py holds the README to it), so it cannot drift.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic.config import JsonDict
from pydantic_settings import BaseSettings, SettingsConfigDict

from emarket.broker import QUEUES

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(value: object) -> object:
    """On is 1, true, yes or on (any case, spaces around); any other text is off."""
    return value.strip().lower() in ("1", "true", "yes", "on") if isinstance(value, str) else value


Flag = Annotated[bool, BeforeValidator(_flag)]
# A folder as an absolute path: the processes `emarket up` starts find the same one.
Folder = Annotated[str, AfterValidator(lambda value: str(Path(value).resolve()))]


Factory = Callable[[dict[str, Any]], str]  # a default made from the settings declared before it


def _embedded_pg(name: str) -> Factory:
    def embedded_url(data: dict[str, Any]) -> str:
        from emarket import embedded_pg  # the embedded server's module only when it is used

        return embedded_pg.url(Path(data["var_dir"]), name)
    return embedded_url


def _embedded_redis(db: int) -> Factory:
    return lambda data: f"redis://127.0.0.1:{data['embedded_redis_port']}/{db}"


def _under_var(*parts: str) -> Factory:
    return lambda data: str(Path(data["var_dir"], *parts))


def setting(default: Any = None, description: str = "", *, factory: Factory | None = None,
            shown: str | None = None) -> Any:
    """One setting: its default, or a factory of the settings declared before it (shown in the
    README as ``shown``, Markdown), and its description."""
    extra: JsonDict | None = {"shown": shown} if shown is not None else None
    if factory is not None:
        return Field(default_factory=factory, description=description, json_schema_extra=extra)
    return Field(default=default, description=description, json_schema_extra=extra)


class Settings(BaseSettings):
    # An empty variable is an unset one; variables of no setting here are someone else's.
    model_config = SettingsConfigDict(env_prefix="EMARKET_", env_ignore_empty=True, frozen=True, extra="ignore")

    var_dir: Folder = setting(str(PROJECT_ROOT / "var"), "folder for the embedded run's files (PostgreSQL, Redis, keys, logs)", shown="`./var`")
    embedded_redis_port: int = setting(6389, "port of the embedded run's Redis; `emarket up` refuses one already taken by another checkout's Redis")
    db_account: str = setting(factory=_embedded_pg("account"), shown="the embedded server's `account`", description="SQLAlchemy URL of the `account` database (users, wallets, top-ups); unset: the embedded PostgreSQL under `var/postgres`")
    db_emarket: str = setting(factory=_embedded_pg("emarket"), shown="the embedded server's `emarket`", description="SQLAlchemy URL of the `emarket` database (orders, products, saga events)")
    db_bank: str = setting(factory=_embedded_pg("bank"), shown="the embedded server's `bank`", description="SQLAlchemy URL of the bank's own database")
    broker_url: str = setting(factory=_embedded_redis(0), shown="`redis://127.0.0.1:6389/0`", description="Celery broker (RabbitMQ `amqp://…` in the real stack; a cluster: the nodes' URLs separated by `;`, each process trying them in that order)")
    result_backend: str = setting(factory=_embedded_redis(1), shown="`redis://127.0.0.1:6389/1`", description="Celery result backend (Redis)")
    redis_url: str = setting(factory=_embedded_redis(2), shown="`redis://127.0.0.1:6389/2`", description="Redis for revoked tokens, rate limits and caches")
    quorum_queues: str = setting(",".join(QUEUES), "RabbitMQ only: the queues declared as quorum queues (at least one: countdowns then wait in the broker), the others classic; changing it needs a fresh vhost (docs/operations.md)")
    broker_heartbeat: float = setting(4.0, "RabbitMQ only: AMQP heartbeat of a worker's connection, s; a node that stops answering (frozen, cut off) is left for the next URL of the list after about twice this (docs/cluster.md)")
    broker_io_timeout: float = setting(5.0, "RabbitMQ only: the longest a publish waits for its confirm (any blocking socket read or write) before the connection is dropped and the publish retried on the next node, s (docs/cluster.md)")
    payment_timeout: int = setting(300, "seconds an order waits for payment before it is cancelled")
    currency: str = setting("USD", "the deployment's one currency (amounts are minor units)")
    jwt_private_key: str = setting(factory=_under_var("jwt", "private.pem"), shown="`./var/jwt/private.pem`", description="PEM file of the auth service's RS256 signing key")
    jwt_public_key: str = setting(factory=_under_var("jwt", "public.pem"), shown="`./var/jwt/public.pem`", description="PEM file of the public key other services verify with")
    jwks_url: str = setting("", "JWKS URL to fetch the public key from instead of the file (empty: use the file)")
    jwt_issuer: str = setting("emarket-auth", "`iss` claim of issued tokens")
    access_token_ttl: int = setting(900, "access token lifetime, seconds")
    refresh_token_ttl: int = setting(14 * 24 * 3600, "refresh token lifetime, seconds")
    shop_port: int = setting(8000, "port of the shop (pages + JSON API)")
    auth_port: int = setting(8001, "port of the auth service")
    bank_port: int = setting(8002, "port of the bank")
    flower_port: int = setting(5555, "port of Flower")
    flower_public_url: str = setting("http://127.0.0.1:5555", "base URL of Flower as an operator's browser reaches it (the saga console links each step's task to it)")
    auth_url: str = setting("http://127.0.0.1:8001", "base URL of the auth service, as the shop reaches it")
    bank_url: str = setting("http://127.0.0.1:8002", "base URL of the bank, as the shop's workers reach it")
    bank_public_url: str = setting("http://127.0.0.1:8002", "base URL of the bank as a browser reaches it (confirm_url)")
    bank_merchant_key: str = setting("dev-merchant-key", "API key the shop uses at the bank")
    bank_admin_key: str = setting("dev-admin-key", "the bank's admin API key (creating accounts)")
    bank_merchant_account: str = setting("40000000000000000001", "the shop's merchant account number at the bank")
    bank_hold_ttl: int = setting(900, "seconds before an unconfirmed bank hold expires")
    bank_timeout: float = setting(5.0, "seconds the shop waits for one call to the bank")
    shop_public_url: str = setting("http://127.0.0.1:8000", "base URL of the shop as a browser reaches it (the bank's link back)")
    topup_poll_interval: float = setting(2.0, "first wait, seconds, before the shop polls a top-up's bank hold (doubles, with jitter)")
    topup_poll_max: float = setting(30.0, "longest wait, seconds, between two polls of a bank hold")
    topup_sweep_after: int = setting(60, "seconds a top-up may sit unchanged before the sweep job resumes it")
    saga_stuck_after: int = setting(120, "seconds after which a non-final saga counts as stuck and is resumed")
    beat_interval: float = setting(30.0, "seconds between two runs of each beat sweep (overdue orders, stuck sagas, stuck top-ups)")
    audit_interval: float = setting(3600.0, "seconds between two audits of the books by beat (`saga.audit`: finds, repairs what it safely can, counts; `emarket saga audit` runs it by hand)")
    reply_timeout: float = setting(10.0, "seconds the web waits for a reply over the broker before 503")
    step_max_retries: int = setting(8, "retries of a saga step on a transient error before it compensates (a database or broker out of reach is retried until it is back, never compensated: docs/cluster-faults.md)")
    step_backoff_base: float = setting(0.5, "first retry delay, seconds (doubles each retry, full jitter, capped at 30 s)")
    argon2_profile: Literal["RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST"] = setting(
        "RFC_9106_LOW_MEMORY", "argon2id parameters of passwords and bank PINs (argon2-cffi's profiles); `CHEAPEST` is for tests only (the suite sets it); a stored hash of other parameters is upgraded at the next login")
    log_level: str = setting("INFO", "log level of every process")
    metrics_dir: str = setting(factory=_under_var("metrics"), shown="`./var/metrics`", description="folder of the HTTP services' Prometheus multiprocess files (one sub-folder per service under gunicorn)")
    metrics_prefix: str = setting("emarket:metrics", "Redis key prefix of the saga figures the workers count and the shop's /metrics serves")
    secret_key: str = setting("dev-secret-change-me", "Flask secret (CSRF tokens); set a random one in production")
    secure_cookies: Flag = setting(False, "send auth cookies only over HTTPS")
    task_events: Flag = setting(False, "workers send Celery task events from the start (off: Flower turns them on while it runs; each costs a message per task state)")
    fault_crash_after: str = setting("", "crash tests only: the task whose first run exits the worker right after its transaction committed (tasks/faults.py)")
    fault_hang_in: str = setting("", "crash tests only: the task whose first run blocks before its transaction commits (tasks/faults.py)")
    fault_marker: str = setting("", "crash tests only: the file that makes a fault fire once (created when it fires); empty: no fault fires")


def env_name(field: str) -> str:
    return f"EMARKET_{field.upper()}"


def markdown_table() -> str:
    """The README's configuration table: one row per setting, in declaration order."""
    rows = ["| variable | default | what it sets |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra
        shown = extra.get("shown") if isinstance(extra, dict) else None
        shown = shown or f"`{field.default}`"
        rows.append(f"| `{env_name(name)}` | {shown} | {field.description} |")
    return "\n".join(rows)


@lru_cache(maxsize=1)
def _from_environment() -> Settings:
    return Settings()


# The settings an app was built with (its factory's argument), in force while it works.
_in_force: ContextVar[Settings | None] = ContextVar("emarket_settings", default=None)


class _SettingsInForce:
    def __call__(self) -> Settings:
        """The settings in force: those of the app at work, if it was given its own, else the
        process's, read from the environment once."""
        return _in_force.get() or _from_environment()

    def cache_clear(self) -> None:
        """Read the environment again on the next call: for a program that sets its own
        environment after something has read it (the chaos harness, the benchmarks); a test gives
        its settings to the app, or puts them in force (``in_force``), instead."""
        _from_environment.cache_clear()


settings = _SettingsInForce()


@contextmanager
def in_force(given: Settings | None) -> Iterator[Settings]:
    """Run the block with ``given`` in force (in this thread); None: the process's settings."""
    if given is None:
        yield settings()
        return
    token = _in_force.set(given)
    try:
        yield given
    finally:
        _in_force.reset(token)


if __name__ == "__main__":
    print(markdown_table())
