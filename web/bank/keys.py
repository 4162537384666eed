"""Who is calling the bank: the merchant (the shop) or an operator, by ``X-Api-Key``."""
from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import request

from emarket.config import settings
from web.common.errors import ApiError

MERCHANT, ADMIN = "merchant", "admin"


def _role_of(key: str) -> str | None:
    s = settings()
    # Constant-time comparisons: a key must not be guessable from response times.
    for role, expected in ((ADMIN, s.bank_admin_key), (MERCHANT, s.bank_merchant_key)):
        if expected and hmac.compare_digest(key.encode(), expected.encode()):
            return role
    return None


_P = ParamSpec("_P")
_R = TypeVar("_R")


def key_required(role: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """A missing or unknown key is 401; a known key of another role is 403."""

    def decorator(view: Callable[_P, _R]) -> Callable[_P, _R]:
        @wraps(view)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            key = request.headers.get("X-Api-Key", "")
            caller = _role_of(key) if key else None
            if caller is None:
                raise ApiError(401, "unauthorized", "a valid X-Api-Key is required")
            if caller != role:
                raise ApiError(403, "forbidden", f"this endpoint takes the {role} key")
            return view(*args, **kwargs)

        return wrapper

    return decorator
