"""The bank's JSON API, as docs/api.md's "Bank (port 8002)" section writes it."""
from __future__ import annotations

from typing import Annotated, Any

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint
from flask_openapi3.request import validate_request
from pydantic import ConfigDict, Field, StringConstraints

from db.bank import IdempotentRequest
from db.unit_of_work import UnitOfWork
from emarket.bank import accounts, holds
from emarket.idempotency import Reply
from emarket.storage import unit_of_work
from web.bank.keys import ADMIN, MERCHANT, key_required
from web.bank.replies import (
    Account,
    AccountCreated,
    AccountPath,
    Availability,
    Hold,
    HoldPath,
    HoldStatus,
)
from web.common import idempotency as idempotent
from web.common.api_docs import IdempotencyHeader, errors
from web.common.errors import ApiError
from web.common.validation import EmptyBody, StrictModel

bp = APIBlueprint("bank_api", __name__, url_prefix="/bank")
ADMIN_KEY: list[dict[str, list[Any]]] = [{"admin_key": []}]
MERCHANT_KEY: list[dict[str, list[Any]]] = [{"merchant_key": []}]
NO_KEY: list[dict[str, list[Any]]] = [{}]

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


@bp.post("/accounts", summary="Open an account (admin key)", security=ADMIN_KEY,
         responses={201: AccountCreated, **errors(400, 401, 403, 409, 413, 422)})
@key_required(ADMIN)
@validate_request()
def create_account(header: IdempotencyHeader, body: NewAccount) -> Response:

    def render(uow: UnitOfWork, number: str) -> Reply:
        view = accounts.account_view(accounts.get_account(uow, number))
        del view["held"]
        return idempotent.json_reply(201, view)

    return idempotent.create_once(
        "bank", IdempotentRequest, ADMIN, header.idempotency_key, body.model_dump(),
        lambda uow: accounts.create_account(uow, body.owner, body.pin, body.balance).number, render)


@bp.get("/accounts/<number>", summary="One account (admin key)", security=ADMIN_KEY,
        responses={200: Account, **errors(401, 403, 404)})
@key_required(ADMIN)
@validate_request()
def get_account(path: AccountPath) -> Response:
    with unit_of_work("bank") as uow:
        return jsonify(accounts.account_view(accounts.get_account(uow, path.number)))


@bp.get("/accounts/<number>/availability", summary="Whether the account could pay an amount (merchant key)",
        security=MERCHANT_KEY, responses={200: Availability, **errors(400, 401, 403, 404)})
@key_required(MERCHANT)
@validate_request()
def availability(path: AccountPath, query: AvailabilityQuery) -> Response:
    with unit_of_work("bank") as uow:
        return jsonify({"sufficient": accounts.is_sufficient(uow, path.number, query.amount)})


@bp.post("/holds", summary="Hold an amount until the holder confirms (merchant key)", security=MERCHANT_KEY,
         responses={201: Hold, **errors(400, 401, 403, 404, 409, 413, 422)})
@key_required(MERCHANT)
@validate_request()
def create_hold(header: IdempotencyHeader, body: NewHold) -> Response:
    return idempotent.create_once(
        "bank", IdempotentRequest, MERCHANT, header.idempotency_key, body.model_dump(),
        lambda uow: holds.create_hold(uow, body.account, body.amount, body.reference).id,
        lambda uow, hold_id: idempotent.json_reply(201, holds.hold_view(holds.get_hold(uow, hold_id))))


@bp.get("/holds/<hold_id>", summary="One hold (merchant key)", security=MERCHANT_KEY,
        responses={200: Hold, **errors(401, 403, 404)})
@key_required(MERCHANT)
@validate_request()
def get_hold(path: HoldPath) -> Response:
    with unit_of_work("bank") as uow:
        return jsonify(holds.hold_view(holds.get_hold(uow, path.hold_id)))


@bp.post("/holds/<hold_id>/confirm", summary="The holder confirms with the PIN", security=NO_KEY,
         responses={200: HoldStatus, **errors(400, 403, 404, 409, 413)})
def confirm_hold(path: HoldPath, body: Confirm) -> Response:
    with unit_of_work("bank") as uow:
        outcome = holds.confirm_hold(uow, path.hold_id, body.pin)
    if outcome.closed:
        raise ApiError(409, "hold_closed", "the hold was released or has expired")
    if outcome.captured:
        return jsonify({"status": holds.CAPTURED})
    if outcome.released:
        raise ApiError(403, "wrong_pin", "wrong PIN; too many attempts, the hold was released")
    left = f"; {outcome.attempts_left} attempts left" if outcome.attempts_left else ""
    raise ApiError(403, "wrong_pin", "wrong PIN" + left)


@bp.post("/holds/<hold_id>/release", summary="Release a hold (merchant key)", security=MERCHANT_KEY,
         responses={200: HoldStatus, **errors(400, 401, 403, 404, 409, 413)})
@key_required(MERCHANT)
@validate_request()
def release_hold(path: HoldPath, body: EmptyBody) -> Response:
    with unit_of_work("bank") as uow:
        hold = holds.release_hold(uow, path.hold_id)
    return jsonify({"status": hold.status})
