"""Asking Maccount (the ``account`` queue) for a user's profile and e-wallet, and waiting a
bounded time for its reply — a synchronous reply over the broker (docs/architecture.md)."""
from __future__ import annotations

from typing import Any, cast

from celery import Celery
from celery.exceptions import TimeoutError as ReplyTimeout
from kombu.exceptions import OperationalError as BrokerError

from emarket.config import settings
from emarket.errors import Conflict

CREATE_PROFILE = "account.create_profile"


class NoReply(Exception):
    """The profile was not confirmed in time; the message (if sent) stays queued."""


def account_queue_client() -> Celery:
    """A Celery client configured like the workers, with the broker and result backend read from
    the settings when the app is built, so an app built under other settings (the tests'
    own virtual host, ``emarket up``) talks to that broker."""
    s = settings()
    client = Celery("emarket-auth", set_as_current=False)
    client.config_from_object("celeryconfig")
    client.conf.update(broker_url=s.broker_url, result_backend=s.result_backend)
    return client


def create_profile(client: Celery, user_id: int, email: str, name: str | None) -> dict[str, Any]:
    """Send ``account.create_profile`` and wait up to ``reply_timeout`` for its reply.

    ``Conflict`` passes through (a business refusal); anything else that leaves the outcome
    unknown — no reply in time, the broker down, the step failing after its retries — is
    ``NoReply``: the step is idempotent, so the client's retry is always safe.
    """
    try:
        result = client.send_task(CREATE_PROFILE, args=[user_id, email, name])
        try:
            return cast(dict[str, Any], result.get(timeout=settings().reply_timeout, propagate=True))
        finally:
            result.forget()
    except Conflict:
        raise
    except (ReplyTimeout, BrokerError, OSError) as error:
        raise NoReply(str(error)) from error
    except Exception as error:  # the task failed for good; the retry re-sends it
        raise NoReply(f"{type(error).__name__}: {error}") from error
