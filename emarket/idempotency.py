"""Idempotency-Keys: one mechanism for every creating POST (docs/api.md, "Idempotency-Key").

A key belongs to a caller (its ``scope``). The first request with it claims the key in the same
transaction that creates the resource, records what it created, and stores its reply — status
and body, byte for byte — in that transaction too, or (a ``?wait=`` order, a registration) once
the reply is known. Whoever comes later with the same scope, key and fingerprint gets that reply
back; another fingerprint is ``IdempotencyConflict`` (422). A twin that arrives while the first is
still in its transaction waits on the primary key's row lock and then finds the first one's row.

Each database holds the keys of what it stores (``IdempotentRequest`` of ``db.emarket``,
``db.account`` and ``db.bank``), so the key and the resource commit or roll back together. Keys
are kept ``KEEP_FOR`` and then swept (``forget_older_than``).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from db.base import IdempotentRequestColumns, utcnow
from db.schema import IDEMPOTENT_REQUESTS
from db.unit_of_work import UnitOfWork, rows_changed
from emarket.errors import IdempotencyConflict
from emarket.storage import unit_of_work

KEEP_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Reply:
    """A reply as the client got it: what a replay sends again."""

    status: int
    body: bytes
    location: str | None = None


@dataclass(frozen=True)
class Earlier:
    """What the first request with this key left: the resource, and its reply once stored."""

    resource_id: str | None
    reply: Reply | None
    settled: bool
    updated_at: datetime


@dataclass(frozen=True)
class Outcome:
    """``created``: this call created ``resource_id`` and rendered ``reply`` (when asked to);
    else ``earlier`` is what the first request with the key left."""

    resource_id: str | None
    created: bool
    earlier: Earlier | None = None
    reply: Reply | None = None


def create_once(database: str, model: type[IdempotentRequestColumns], scope: str, key: str | None,
                print_: str | None, create: Callable[[UnitOfWork], str],
                reply: Callable[[UnitOfWork, str], Reply] | None = None) -> Outcome:
    """Run ``create`` (which returns the new resource's id) in one transaction on ``database``,
    with the key claimed, the resource recorded and — when ``reply`` is given — the reply rendered,
    stored and settled in that same transaction. Without a key, nothing is claimed or stored."""
    for attempt in (1, 2):
        try:
            with unit_of_work(database) as uow:
                if key is not None:
                    if print_ is None:
                        raise ValueError("a key is claimed with the request's fingerprint")
                    earlier = claim(uow, model, scope, key, print_)
                    if earlier is not None:
                        return Outcome(earlier.resource_id, False, earlier)
                resource_id = create(uow)
                first = reply(uow, resource_id) if reply is not None else None
                if key is not None:
                    values: dict[str, object] = {"resource_id": resource_id}
                    if first is not None:
                        values.update(status=first.status, body=first.body, location=first.location, settled=True)
                    _set(uow, model, scope, key, **values)
            return Outcome(resource_id, True, reply=first)
        except IntegrityError as error:
            # A twin with the same key committed between our read and our write: read its row.
            if key is None or attempt == 2 or not is_twin(error):
                raise
    raise AssertionError("unreachable")


def read(database: str, model: type[IdempotentRequestColumns], scope: str, key: str) -> Earlier | None:
    with unit_of_work(database) as uow:
        row = uow.session.get(model, (scope, key))
        if row is None:
            return None
        reply = Reply(row.status, row.body or b"", row.location) if row.status is not None else None
        return Earlier(row.resource_id, reply, row.settled, row.updated_at)


def fingerprint(secret: str, *parts: object) -> str:
    """An HMAC of the request (method, path, canonical JSON body): a body holding a password is
    not kept in a form that can be guessed back offline."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def claim(uow: UnitOfWork, model: type[IdempotentRequestColumns], scope: str, key: str,
          print_: str) -> Earlier | None:
    """None: this request holds the key now (its row is written, in this transaction).
    An ``Earlier``: a request with this key came first. Raises ``IdempotencyConflict`` for another
    fingerprint, and ``IntegrityError`` if a twin committed the key between our read and write
    (``is_twin`` tells; the caller runs its unit of work again and finds the twin's row)."""
    row = uow.session.get(model, (scope, key), populate_existing=True)
    if row is not None:
        if not hmac.compare_digest(row.fingerprint, print_):
            raise IdempotencyConflict("idempotency_key_reused", "this Idempotency-Key was used with another body")
        reply = Reply(row.status, row.body or b"", row.location) if row.status is not None else None
        return Earlier(row.resource_id, reply, row.settled, row.updated_at)
    now = utcnow()
    uow.session.add(model(scope=scope, key=key, fingerprint=print_, settled=False, created_at=now, updated_at=now))
    uow.session.flush()  # a concurrent twin's uncommitted row makes this wait, then fail
    return None


def store_reply(database: str, model: type[IdempotentRequestColumns], scope: str, key: str, reply: Reply,
                settled: bool = True) -> bool:
    """Keep the reply a replay must repeat, once it is known after the creating transaction. An
    unsettled reply (a 503 that asked the client to retry) lets the retry take the request over.
    A settled reply is never replaced: True if this call stored it."""
    with unit_of_work(database) as uow:
        return _set(uow, model, scope, key, status=reply.status, body=reply.body, location=reply.location,
                    settled=settled) == 1


def _set(uow: UnitOfWork, model: type[IdempotentRequestColumns], scope: str, key: str, **values: object) -> int:
    result = uow.session.execute(
        update(model).where(model.scope == scope, model.key == key, model.settled.is_(False))
        .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False))
    return rows_changed(result)


def is_twin(error: IntegrityError) -> bool:
    """The unique key that a concurrent request with the same key wrote first."""
    message = str(error.orig)
    return "pk_idempotent_request" in message or "idempotent_request.scope" in message


def forget_older_than(database: str, keep_for: timedelta = KEEP_FOR) -> int:
    """Delete the keys older than ``keep_for``; a retry after that is a new request."""
    model = IDEMPOTENT_REQUESTS[database]
    with unit_of_work(database) as uow:
        return rows_changed(uow.session.execute(delete(model).where(model.created_at < utcnow() - keep_for)))
