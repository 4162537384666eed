"""The shop's HTTP client of the bank (Mbank), with the merchant key and a timeout per call.

What the bank says is translated once, here: a refusal is a domain error (never retried),
anything that may pass (a timeout, no connection, a 5xx) is a ``TransientError`` (retried by
the task with backoff). Holds are created with an Idempotency-Key (the top-up id), so a retry
after a lost reply finds the first hold instead of freezing the amount twice.
"""
from __future__ import annotations

from typing import Any, cast

import requests

from emarket import logs
from emarket.config import settings
from emarket.errors import DomainError, InsufficientFunds, NotFound, TransientError


class BankRejected(DomainError):
    """The bank refused the request for a reason retrying cannot change (bad key, bad input)."""

    default_reason = "bank_rejected"


class BankClient:
    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float | None = None,
                 session: requests.Session | None = None):
        s = settings()
        self.base_url = (base_url or s.bank_url).rstrip("/")
        self.api_key = api_key or s.bank_merchant_key
        self.timeout = timeout if timeout is not None else s.bank_timeout
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-Api-Key": self.api_key, **kwargs.pop("headers", {})}
        if logs.correlation_id():  # the bank's request log then carries the top-up's id
            headers["X-Correlation-ID"] = logs.correlation_id()
        try:
            response = self.session.request(method, self.base_url + path, headers=headers,
                                            timeout=self.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TransientError(f"bank unreachable: {type(error).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"bank answered {response.status_code}")
        return response

    @staticmethod
    def _error(response: requests.Response) -> tuple[str, str]:
        try:
            error = response.json()["error"]
            return str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            return "bank_rejected", f"bank answered {response.status_code}"

    def create_hold(self, account: str, amount: int, reference: str, idempotency_key: str) -> dict[str, Any]:
        response = self._call("POST", "/bank/holds", json={"account": account, "amount": amount, "reference": reference},
                              headers={"Idempotency-Key": idempotency_key})
        if response.status_code == 201:
            return cast(dict[str, Any], response.json())
        code, message = self._error(response)
        if response.status_code == 404:
            raise NotFound("unknown_account", message)
        if response.status_code == 409 and code == "insufficient_funds":
            raise InsufficientFunds("insufficient_funds", message)
        raise BankRejected(code, message)

    def get_hold(self, hold_id: str) -> dict[str, Any]:
        response = self._call("GET", f"/bank/holds/{hold_id}")
        if response.status_code == 200:
            return cast(dict[str, Any], response.json())
        code, message = self._error(response)
        raise (NotFound("unknown_hold", message) if response.status_code == 404 else BankRejected(code, message))

    def release_hold(self, hold_id: str) -> str:
        """Release an unconfirmed hold; returns the hold's final status (``captured`` if the
        holder confirmed first: then it cannot be released and must be credited)."""
        response = self._call("POST", f"/bank/holds/{hold_id}/release", json={})
        if response.status_code == 200:
            return str(response.json()["status"])
        code, message = self._error(response)
        if response.status_code == 409 and code == "hold_captured":
            return "captured"
        raise (NotFound("unknown_hold", message) if response.status_code == 404 else BankRejected(code, message))
