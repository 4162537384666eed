"""The saga context (emarket.saga_context): one declared type, written to messages as the
plain JSON object the previous version carried, and read back from that version's shapes."""
from __future__ import annotations

import json

import pytest
from kombu.utils.json import dumps, loads
from pydantic import ValidationError

from emarket.saga_context import SagaContext

# What the previous version put in its messages (a dict whose keys grew along the chain).
OLD_PHASE1 = {"order_id": "o-1", "user_id": 7, "items": [[3, 2], [5, 1]], "total": None, "cid": "c-1"}
OLD_AFTER_CHECK = {**OLD_PHASE1, "prices": {"3": 150, "5": 40}}
OLD_PHASE2_CALLBACK = {"order_id": "o-1", "user_id": 7, "cid": None}  # bound to phase 2's error callbacks
OLD_STARTED = {"order_id": "o-1", "user_id": 7, "items": [[3, 2]], "total": 300, "cid": "c-1", "outcome": "started"}


@pytest.mark.parametrize("message", [OLD_PHASE1, OLD_AFTER_CHECK, OLD_PHASE2_CALLBACK, OLD_STARTED])
def test_every_shape_the_previous_version_sent_is_read(message):
    ctx = SagaContext.of(message)
    assert (ctx.order_id, ctx.user_id, ctx.cid) == (message["order_id"], 7, message["cid"])
    assert SagaContext.of(json.loads(json.dumps(message))) == ctx


def test_fields_are_typed_as_declared():
    ctx = SagaContext.of(OLD_AFTER_CHECK)
    assert ctx.items == ((3, 2), (5, 1))
    assert ctx.prices == {3: 150, 5: 40}  # JSON's string keys back to product ids
    assert SagaContext.of(OLD_STARTED).outcome == "started"


def test_a_message_without_its_order_is_refused():
    with pytest.raises(ValidationError):
        SagaContext.of({"user_id": 7})


def test_in_a_message_it_is_the_previous_version_s_json_object():
    """Unknown fields are left out, so a worker of the previous version reads it as its own."""
    ctx = SagaContext.of(OLD_PHASE1).filled(prices={3: 150, 5: 40})
    sent = json.loads(dumps({"args": [ctx]}))["args"][0]  # kombu's encoder, as Celery sends it
    assert sent == {"order_id": "o-1", "user_id": 7, "items": [[3, 2], [5, 1]], "cid": "c-1",
                    "prices": {"3": 150, "5": 40}}
    assert SagaContext.of(loads(dumps(ctx))) == ctx


def test_filled_checks_what_it_adds():
    ctx = SagaContext.of(OLD_PHASE1)
    assert ctx.filled(prices={"3": "150"}).prices == {3: 150}
    assert ctx.prices is None  # frozen: filling makes a new context
    with pytest.raises(ValidationError):
        ctx.filled(total="a lot")


def test_ids_in_a_message_are_read_without_the_rest():
    assert SagaContext.ids_in(OLD_PHASE2_CALLBACK) == ("o-1", None)
    assert SagaContext.ids_in(SagaContext.of(OLD_PHASE1)) == ("o-1", "c-1")
    assert SagaContext.ids_in("not a context") == (None, None)
