"""Password guessing: after 10 failed logins for one email (or 100 from one address) within 15
minutes the auth service answers 429 with Retry-After, even to the right password; registration
checks no password (a taken email is 409 whatever the password), so it is no way to guess one;
nothing in any database changes."""
from __future__ import annotations

import time

from tests.security.conftest import PASSWORD
from web.auth import ratelimit

ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}


def login(auth, email, password, environ=ATTACKER):
    return auth.post("/auth/login", json={"email": email, "password": password}, environ_base=environ)


def assert_429(response):
    assert response.status_code == 429, (response.status_code, response.get_json())
    assert set(response.get_json()["error"]) == {"code", "message"}
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= ratelimit.WINDOW


def test_ten_wrong_passwords_for_one_email_then_429_even_for_the_right_one(auth, registered, unchanged):
    registered("ann@example.com")
    with unchanged():
        for attempt in range(ratelimit.EMAIL_LIMIT):
            assert login(auth, "ann@example.com", f"guess-{attempt}").status_code == 401
        assert_429(login(auth, "ann@example.com", "guess-again"))
        assert_429(login(auth, "ann@example.com", PASSWORD))
        # The same email spelled otherwise is the same email.
        assert_429(login(auth, "  ANN@example.com ", PASSWORD, {"REMOTE_ADDR": "198.51.100.1"}))
        # Registering with that email tells nothing of the password: the right and a wrong one
        # get the same 409.
        for guess in ("guess-by-register", PASSWORD):
            response = auth.post("/auth/register", json={"email": "ann@example.com", "password": guess},
                                 environ_base=ATTACKER)
            assert (response.status_code, response.get_json()["error"]["code"]) == (409, "email_taken")
    # Another user is not locked out by Ann's attacker.
    registered("bob@example.com")
    assert login(auth, "bob@example.com", PASSWORD, {"REMOTE_ADDR": "198.51.100.2"}).status_code == 200


def test_a_hundred_failures_from_one_address_then_429_for_any_email(auth, registered, unchanged):
    registered("carol@example.com")
    # 99 failures of this address already in its window (recorded as the service records them),
    # then the 100th for real: the 101st attempt from the address is refused whatever the email.
    from web.common.revocation import client

    now = time.time()
    client().zadd(ratelimit.address_key(ATTACKER["REMOTE_ADDR"]),
                  {f"{now - i:.6f}:seed{i}": now - i for i in range(ratelimit.ADDRESS_LIMIT - 1)})
    with unchanged():
        assert login(auth, "someone@example.com", "wrong password").status_code == 401
        assert_429(login(auth, "someone-else@example.com", "wrong password"))
        assert_429(login(auth, "carol@example.com", PASSWORD))
        # A forwarded-for header the attacker writes himself does not make him someone else.
        for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
            response = auth.post("/auth/login", json={"email": "dave@example.com", "password": "wrong password"},
                                 environ_base=ATTACKER, headers={header: "198.51.100.99"})
            assert_429(response)
    assert login(auth, "carol@example.com", PASSWORD, {"REMOTE_ADDR": "198.51.100.3"}).status_code == 200
