"""POST /auth/register through the real ``account`` queue: the credential, then the profile and
e-wallet made by a real worker; 409, 400, 413 and 503, each changing nothing it should not."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from db.account import Credential, User, Wallet
from tests.support.env import settings_over
from tests.support.wait import wait_until
from tests.web.auth.conftest import PASSWORD


def register(client, body, key=None):
    return client.post("/auth/register", json=body, headers={"Idempotency-Key": key} if key else {})


def profile_and_wallet(uow, user_id):
    with uow() as u:
        return u.session.get(User, user_id), u.session.get(Wallet, user_id)


def test_register_creates_the_user_and_an_empty_wallet(client, uow, account_worker):
    response = register(client, {"email": "Ann@Example.COM", "password": PASSWORD, "name": "Ann"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body == {"id": body["id"], "email": "ann@example.com"}
    user, wallet = profile_and_wallet(uow, body["id"])
    assert (user.email, user.name) == ("ann@example.com", "Ann")
    assert wallet.balance == 0
    # The new user logs in at once.
    login = client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
    assert login.status_code == 200


def test_the_name_is_optional(client, uow, account_worker):
    response = register(client, {"email": "bob@example.com", "password": PASSWORD})
    assert response.status_code == 201
    assert profile_and_wallet(uow, response.get_json()["id"])[0].name is None


def test_an_email_taken_is_409_and_changes_nothing(client, account_worker, db_state):
    assert register(client, {"email": "ann@example.com", "password": PASSWORD}).status_code == 201
    before = db_state()
    response = register(client, {"email": "ANN@example.com", "password": "another password", "name": "Eve"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "email_taken"
    assert db_state() == before


def test_registering_twice_without_a_key_is_409_even_with_the_same_password(client, account_worker, db_state):
    first = register(client, {"email": "ann@example.com", "password": PASSWORD})
    before = db_state()
    again = register(client, {"email": "ann@example.com", "password": PASSWORD})
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.get_json()["error"]["code"] == "email_taken"
    assert db_state() == before


def test_a_retry_with_the_same_key_is_the_first_reply_and_one_user(client, account_worker, db_state):
    first = register(client, {"email": "ann@example.com", "password": PASSWORD}, key="reg-1")
    before = db_state()
    again = register(client, {"email": "ann@example.com", "password": PASSWORD}, key="reg-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_data() == first.get_data()
    other_body = register(client, {"email": "ann@example.com", "password": "another password"}, key="reg-1")
    assert other_body.status_code == 422
    assert other_body.get_json()["error"]["code"] == "idempotency_key_reused"
    assert db_state() == before


def test_a_taken_email_checks_no_password_and_leaves_the_login_limit_alone(client, account_worker):
    assert register(client, {"email": "ann@example.com", "password": PASSWORD}).status_code == 201
    for guess in ("guessing 123", PASSWORD) * 6:
        assert register(client, {"email": "ann@example.com", "password": guess}).status_code == 409
    assert client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).status_code == 200


LONG = "a" * 245 + "@example.com"  # 257 characters


@pytest.mark.parametrize("raw", [
    '{"email": "ann@example.com", "password": ',           # malformed JSON
    '["ann@example.com", "correct horse battery"]',        # not an object
    '"ann@example.com"',
    "",                                                     # no body
    "{}",                                                   # missing fields
    '{"email": "ann@example.com"}',
    '{"password": "correct horse battery"}',
    '{"email": 5, "password": "correct horse battery"}',   # wrong types
    '{"email": "ann@example.com", "password": 12345678}',
    '{"email": "ann@example.com", "password": "correct horse battery", "name": 5}',
    '{"email": "ann@example.com", "password": "correct horse battery", "name": ["Ann"]}',
    '{"email": "ann@example.com", "password": "correct horse battery", "roles": ["admin"]}',  # unknown field
    '{"email": "ann@example.com", "password": "short"}',  # password under 8
    '{"email": "ann@example.com", "password": "1234567"}',
    '{"email": "ann@example.com", "password": "' + "p" * 129 + '"}',  # over 128
    '{"email": "ann@example.com", "password": "correct horse battery", "name": "' + "n" * 101 + '"}',
    '{"email": "' + LONG + '", "password": "correct horse battery"}',  # email over 254
    '{"email": "not an email", "password": "correct horse battery"}',
    '{"email": "ann@", "password": "correct horse battery"}',
    '{"email": "ann@localhost", "password": "correct horse battery"}',
    '{"email": null, "password": "correct horse battery"}',
    '{"email": "ann\\u0000@example.com", "password": "correct horse battery"}',
    '{"email": "ann@example.com", "password": "correct horse battery", "name": "A\\u0000nn"}',
    '{"email": "ann@example.com", "password": "correct horse battery", "name": "Ann\\n"}',
])
def test_invalid_registrations_are_400_and_change_nothing(client, make_user, db_state, raw):
    make_user(email="someone@example.com")
    before = db_state()
    response = client.post("/auth/register", data=raw, content_type="application/json")
    assert response.status_code == 400, raw
    error = response.get_json()["error"]
    assert set(error) == {"code", "message"} and error["code"] in ("malformed_json", "invalid_request")
    assert db_state() == before


def test_limits_are_inclusive(client, uow, account_worker):
    email = "b" * 242 + "@example.com"  # 254 characters
    response = register(client, {"email": email, "password": "p" * 128, "name": "n" * 100})
    assert response.status_code == 201
    assert register(client, {"email": "c@example.com", "password": "p" * 8}).status_code == 201


def test_a_body_over_64_kib_is_413_and_changes_nothing(client, db_state):
    before = db_state()
    response = register(client, {"email": "ann@example.com", "password": PASSWORD, "name": "n" * (70 * 1024)})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert db_state() == before


def test_no_reply_in_time_is_503_and_the_queued_message_still_makes_the_profile(
        client, uow, account_worker):
    """With no worker on the queue the reply cannot come: 503 with Retry-After. The message
    waits in the durable queue; when a worker comes back it creates the profile, and the
    client's retry of the same registration (the same Idempotency-Key) is 201 with the same id."""
    from web.auth import create_app

    account_worker.stop()
    try:
        impatient = create_app(settings_over(reply_timeout=0.5)).test_client()
        response = register(impatient, {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}, key="r1")
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "unavailable"
        assert int(response.headers["Retry-After"]) > 0
        with uow() as u:
            (credential,) = u.session.scalars(select(Credential)).all()
        assert profile_and_wallet(uow, credential.id) == (None, None)
    finally:
        account_worker.start()
    wait_until(lambda: all(profile_and_wallet(uow, credential.id)), timeout=30, what="the queued profile")
    assert profile_and_wallet(uow, credential.id)[0].name == "Ann"
    retry = register(client, {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}, key="r1")
    assert retry.status_code == 201
    assert retry.get_json() == {"id": credential.id, "email": "ann@example.com"}


def test_concurrent_registrations_each_get_their_own_reply(app, uow, account_worker):
    """Threads of one web process share its Celery client: each waits for its own reply."""
    replies: dict[int, object] = {}

    def register_one(i: int) -> None:
        response = app.test_client().post("/auth/register", json={"email": f"u{i}@example.com", "password": PASSWORD})
        replies[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=register_one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(replies) == list(range(8))
    assert all(status == 201 and body["email"] == f"u{i}@example.com" for i, (status, body) in replies.items())
    for _status, body in replies.values():
        assert all(profile_and_wallet(uow, body["id"]))
