"""The bank's JSON API, as docs/api.md's "Bank (port 8002)" section writes it."""
from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify
from pydantic import ConfigDict, Field, StringConstraints

from emarket.bank import accounts, holds
from db.bank import IdempotentRequest
from emarket.storage import unit_of_work
from web.bank.keys import ADMIN, MERCHANT, key_required
from web.common import idempotency as idempotent
from web.common.errors import ApiError
from web.common.validation import EmptyBody, StrictModel, parse_json_body, parse_query

bp = Blueprint("bank_api", __name__, url_prefix="/bank")

Amount = Annotated[int, Field(ge=1, le=10_000_000)]
AccountNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,34}$")]


class NewAccount(StrictModel):
    owner: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    pin: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]
    balance: Annotated[int, Field(ge=0, le=1_000_000_000)]


class NewHold(StrictModel):
    account: AccountNumber
    amount: Amount
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Confirm(StrictModel):
    # Any string is a PIN attempt: one that is not the holder's is a wrong PIN (403), not a 400.
    pin: str


class AvailabilityQuery(StrictModel):
    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text
    amount: Amount


@bp.post("/accounts")
@key_required(ADMIN)
def create_account():
    body = parse_json_body(NewAccount)

    def render(uow, number: str):
        view = accounts.account_view(accounts.get_account(uow, number))
        del view["held"]
        return idempotent.json_reply(201, view)

    return idempotent.create_once(
        "bank", IdempotentRequest, ADMIN, body.model_dump(),
        lambda uow: accounts.create_account(uow, body.owner, body.pin, body.balance).number, render)


@bp.get("/accounts/<number>")
@key_required(ADMIN)
def get_account(number: str):
    with unit_of_work("bank") as uow:
        return jsonify(accounts.account_view(accounts.get_account(uow, number)))


@bp.get("/accounts/<number>/availability")
@key_required(MERCHANT)
def availability(number: str):
    query = parse_query(AvailabilityQuery)
    with unit_of_work("bank") as uow:
        return jsonify({"sufficient": accounts.is_sufficient(uow, number, query.amount)})


@bp.post("/holds")
@key_required(MERCHANT)
def create_hold():
    body = parse_json_body(NewHold)
    return idempotent.create_once(
        "bank", IdempotentRequest, MERCHANT, body.model_dump(),
        lambda uow: holds.create_hold(uow, body.account, body.amount, body.reference).id,
        lambda uow, hold_id: idempotent.json_reply(201, holds.hold_view(holds.get_hold(uow, hold_id))))


@bp.get("/holds/<hold_id>")
@key_required(MERCHANT)
def get_hold(hold_id: str):
    with unit_of_work("bank") as uow:
        return jsonify(holds.hold_view(holds.get_hold(uow, hold_id)))


@bp.post("/holds/<hold_id>/confirm")
def confirm_hold(hold_id: str):
    body = parse_json_body(Confirm)
    with unit_of_work("bank") as uow:
        outcome = holds.confirm_hold(uow, hold_id, body.pin)
    if outcome.closed:
        raise ApiError(409, "hold_closed", "the hold was released or has expired")
    if outcome.captured:
        return jsonify({"status": holds.CAPTURED})
    if outcome.released:
        raise ApiError(403, "wrong_pin", "wrong PIN; too many attempts, the hold was released")
    left = f"; {outcome.attempts_left} attempts left" if outcome.attempts_left else ""
    raise ApiError(403, "wrong_pin", "wrong PIN" + left)


@bp.post("/holds/<hold_id>/release")
@key_required(MERCHANT)
def release_hold(hold_id: str):
    parse_json_body(EmptyBody, allow_empty=True)
    with unit_of_work("bank") as uow:
        hold = holds.release_hold(uow, hold_id)
    return jsonify({"status": hold.status})
