"""The HTTP side of ``emarket.idempotency``: the request's fingerprint, the reply as bytes, and the replay of an earlier request.

The ``Idempotency-Key`` header is read and checked (1..255 characters) once, by the views'
``header: web.common.api_docs.IdempotencyHeader`` model; they pass its value on here.

A view that creates something calls ``create_once`` with a ``reply`` that renders its answer
inside the creating transaction, then either sends that reply or, when the key was used before,
``replay(...)``: the stored reply, byte for byte. A twin still in progress is waited for (up to
``WAIT_FOR_TWIN``), then answered 409 ``request_in_progress``. A first request that ended without
a final reply (it answered 503, or its process died) is taken over by the retry (``resume``).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, current_app, request

from db.base import IdempotentRequestColumns, utcnow
from db.unit_of_work import UnitOfWork
from emarket import idempotency
from emarket.config import settings
from emarket.idempotency import Earlier, Reply
from emarket.storage import unit_of_work
from web.common.errors import ApiError

# Longer than any first request can take: a ?wait of 30 s plus a reply over the broker.
ABANDONED_AFTER = timedelta(seconds=45)
_POLL = 0.05


def fingerprint(body: dict[str, Any]) -> str:
    """Method, path and the validated body: the same request, whatever its JSON spacing."""
    return idempotency.fingerprint(settings().secret_key, request.method, request.path, body)


def json_reply(status: int, payload: dict[str, Any], location: str | None = None) -> Reply:
    return Reply(status, current_app.json.dumps(payload).encode() + b"\n", location)


def respond(reply: Reply) -> Response:
    response = Response(reply.body, status=reply.status, mimetype="application/json")
    if reply.location:
        response.headers["Location"] = reply.location
    return response


def create_once(database: str, model: type[IdempotentRequestColumns], scope: str, key_: str | None, body: dict[str, Any],
                create: Callable[[UnitOfWork], str], render: Callable[[UnitOfWork, str], Reply]) -> Response:
    """A creating POST whose whole reply is known in the creating transaction: ``create`` stores
    the resource and returns its id, ``render`` makes the reply; both run in one transaction with
    the key claimed and the reply kept. A replay sends that reply again."""
    outcome = idempotency.create_once(database, model, scope, key_, fingerprint(body) if key_ else None,
                                      create, render)
    if outcome.created:
        assert outcome.reply is not None  # render was given: the reply is made in the creating transaction
        return respond(outcome.reply)
    # Not created: only a claimed key finds an earlier request, so both are there.
    assert key_ is not None and outcome.earlier is not None

    def resume(resource_id: str) -> Reply:
        with unit_of_work(database) as uow:
            return render(uow, resource_id)

    return replay(database, model, scope, key_, outcome.earlier, resume)


def replay(database: str, model: type[IdempotentRequestColumns], scope: str, key_: str, earlier: Earlier,
           resume: Callable[[str], Reply], wait_for_twin: float | None = None) -> Response:
    """The reply for a request whose key came before: the first reply once it is settled."""
    deadline = time.monotonic() + (settings().reply_timeout if wait_for_twin is None else wait_for_twin)
    while True:
        if earlier.settled and earlier.reply is not None:
            return respond(earlier.reply)
        first_gave_up = earlier.reply is not None and earlier.reply.status >= 500
        abandoned = utcnow() - earlier.updated_at > ABANDONED_AFTER
        if (first_gave_up or abandoned) and earlier.resource_id is not None:
            reply = resume(earlier.resource_id)
            if idempotency.store_reply(database, model, scope, key_, reply, settled=reply.status < 500):
                return respond(reply)
        elif time.monotonic() >= deadline:
            raise ApiError(409, "request_in_progress", "the first request with this key is still being handled")
        else:
            time.sleep(_POLL)  # the twin is still working on its reply: look again
        earlier = idempotency.read(database, model, scope, key_) or earlier
