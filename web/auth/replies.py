"""The auth service's replies as models, for its generated OpenAPI document only: the replies
are built in web.auth.api and web.auth.tokens."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Registered(BaseModel):
    id: int
    email: str


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class LoggedOut(BaseModel):
    status: Literal["logged_out"]


class Jwk(BaseModel):
    kty: Literal["RSA"]
    kid: str
    use: Literal["sig"] | None = None
    alg: Literal["RS256"] | None = None
    n: str
    e: str


class Jwks(BaseModel):
    keys: list[Jwk]
