"""The bank's replies as models, for its generated OpenAPI document only: the replies themselves
are built by emarket.bank's view functions (``account_view``, ``hold_view``)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

AccountNumber = Annotated[str, Field(pattern=r"^[0-9]{1,34}$")]
HoldState = Literal["pending_confirmation", "captured", "released", "expired"]


class AccountCreated(BaseModel):
    number: AccountNumber
    owner: str
    balance: int
    currency: str


class Account(AccountCreated):
    held: int


class Availability(BaseModel):
    sufficient: bool


class Hold(BaseModel):
    id: str
    status: HoldState
    amount: int
    account: AccountNumber
    reference: str
    confirm_url: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    currency: str
    expires_at: str | None = None


class HoldStatus(BaseModel):
    status: HoldState


class AccountPath(BaseModel):
    # Documented, not enforced: an unknown number of any shape is the 404 of docs/api.md.
    number: Annotated[str, Field(json_schema_extra={"pattern": "^[0-9]{1,34}$"})]


class HoldPath(BaseModel):
    hold_id: Annotated[str, Field(json_schema_extra={"format": "uuid"})]
