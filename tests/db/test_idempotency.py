"""The one Idempotency-Key mechanism (emarket.idempotency): the key,
the resource and the first reply commit together; a replay gets the stored bytes; another body
is refused; a failed first request leaves nothing; a concurrent twin waits and finds the first."""
from __future__ import annotations

import contextvars
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from db.base import utcnow
from db.emarket import IdempotentRequest, ProductDesc
from emarket import idempotency
from emarket.errors import IdempotencyConflict, NotFound
from emarket.idempotency import Reply
from tests.support.env import overridden_env


@pytest.fixture
def databases(db_urls):
    with overridden_env({f"EMARKET_DB_{name.upper()}": url for name, url in db_urls.items()}):
        yield db_urls


def _products(uow_factory) -> int:
    with uow_factory("emarket") as uow:
        return uow.session.scalar(select(func.count()).select_from(ProductDesc))


def _create(name="tea", calls=None):
    def create(uow) -> str:
        if calls is not None:
            calls.append(name)
        row = ProductDesc(name=name, description="")
        uow.session.add(row)
        uow.session.flush()
        return str(row.id)
    return create


def _reply(uow, resource_id: str) -> Reply:
    return Reply(201, f'{{"id": {resource_id}, "at": "{utcnow().isoformat()}"}}'.encode(), f"/p/{resource_id}")


def _once(key, print_="fp", create=None, scope="user:1"):
    return idempotency.create_once("emarket", IdempotentRequest, scope, key, print_, create or _create(), _reply)


def test_a_replay_gets_the_first_reply_byte_for_byte_and_creates_nothing(databases, uow_factory):
    calls = []
    first = _once("k1", create=_create(calls=calls))
    again = _once("k1", create=_create(calls=calls))
    assert first.created and not again.created
    assert again.earlier.reply == first.reply and again.earlier.settled
    assert again.resource_id == first.resource_id
    assert calls == ["tea"] and _products(uow_factory) == 1


def test_keys_belong_to_their_caller(databases, uow_factory):
    mine, theirs = _once("k1", scope="user:1"), _once("k1", scope="user:2")
    assert mine.created and theirs.created and mine.resource_id != theirs.resource_id
    assert _products(uow_factory) == 2


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(databases, uow_factory):
    _once("k1", print_="body-a")
    with pytest.raises(IdempotencyConflict):
        _once("k1", print_="body-b")
    assert _products(uow_factory) == 1


def test_a_refused_first_request_leaves_no_key_behind(databases, uow_factory):
    def refused(uow) -> str:
        _create()(uow)
        raise NotFound("no_wallet", "no wallet")

    with pytest.raises(NotFound):
        _once("k1", create=refused)
    assert _once("k1").created  # judged anew
    assert _products(uow_factory) == 1


def test_without_a_key_every_request_creates(databases, uow_factory):
    assert _once(None, print_=None).created and _once(None, print_=None).created
    assert _products(uow_factory) == 2


def test_a_settled_reply_is_never_replaced(databases):
    first = idempotency.create_once("emarket", IdempotentRequest, "user:1", "k1", "fp", _create())
    assert first.reply is None  # stored later, as a ?wait order does
    assert idempotency.store_reply("emarket", IdempotentRequest, "user:1", "k1", Reply(200, b"{}"))
    assert not idempotency.store_reply("emarket", IdempotentRequest, "user:1", "k1", Reply(202, b"[]"))
    assert idempotency.read("emarket", IdempotentRequest, "user:1", "k1").reply == Reply(200, b"{}")


def test_keys_older_than_a_day_are_forgotten(databases, uow_factory):
    _once("old"), _once("new")
    with uow_factory("emarket") as uow:
        uow.session.execute(update(IdempotentRequest).where(IdempotentRequest.key == "old")
                            .values(created_at=utcnow() - timedelta(hours=25)))
    assert idempotency.forget_older_than("emarket") == 1
    assert idempotency.read("emarket", IdempotentRequest, "user:1", "old") is None
    assert idempotency.read("emarket", IdempotentRequest, "user:1", "new") is not None


def test_a_concurrent_twin_waits_for_the_first_and_gets_its_reply(databases, uow_factory):
    """The first request holds its transaction open after claiming the key; its twin blocks on
    the key (its row lock), then reads the first one's reply."""
    inside, release = threading.Event(), threading.Event()
    results = {}

    def slow_create(uow) -> str:
        resource = _create()(uow)
        inside.set()
        assert release.wait(30)
        return resource

    def run(name, create):
        results[name] = _once("k1", create=create)

    # Each thread in a copy of this context: the test's settings (its databases) are in force there too.
    first = threading.Thread(target=contextvars.copy_context().run, args=(run, "first", slow_create))
    first.start()
    assert inside.wait(30)
    twin = threading.Thread(target=contextvars.copy_context().run, args=(run, "twin", _create("twin")))
    twin.start()
    twin.join(0.5)
    assert twin.is_alive()  # blocked on the first one's key, not answering on its own
    release.set()
    first.join(30), twin.join(30)
    assert results["first"].created and not results["twin"].created
    assert results["twin"].earlier.reply == results["first"].reply
    assert _products(uow_factory) == 1
