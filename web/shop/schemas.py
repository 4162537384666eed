"""The shop API's shapes as pydantic models: request bodies and query strings (validated,
strictly) and replies (used for the OpenAPI document, so it cannot drift from the limits)."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from db.limits import (
    COUNT,
    CURSOR,
    DESCRIPTION_MAX,
    ORDER_LINES,
    ORDER_WAIT,
    PAGE_SIZE,
    PAGE_SIZE_DEFAULT,
    PRICE,
    PRODUCT_NAME,
    QUANTITY,
)
from emarket import order_status
from web.common.validation import NotBlank, StrictModel

MAX_ID = 2**63 - 1
# Who may call: a bearer access token, or anyone (a token, if sent, must still be good).
BEARER: list[dict[str, list[Any]]] = [{"bearer": []}]
OPTIONAL_BEARER: list[dict[str, list[Any]]] = [{}, {"bearer": []}]


def _whole_number(value: object) -> object:
    """Query values are text: only plain digits count as a number ("1.0", "+1", " 1" do not)."""
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,6}", value):
            raise ValueError("must be a whole number written in digits")
        return int(value)
    return value


QueryInt = BeforeValidator(_whole_number)

# --- requests ----------------------------------------------------------------------------


class ProductCreate(StrictModel):
    name: Annotated[str, NotBlank, Field(min_length=PRODUCT_NAME.lo, max_length=PRODUCT_NAME.hi)]
    description: Annotated[str, Field(max_length=DESCRIPTION_MAX)] = ""
    price: Annotated[int, Field(ge=PRICE.lo, le=PRICE.hi)]
    count: Annotated[int, Field(ge=COUNT.lo, le=COUNT.hi)]


def _no_null_defaults(schema: dict[str, Any]) -> None:
    # "Left out" is spelled None in Python only; on the wire a field is absent, never null.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class ProductUpdate(StrictModel):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_no_null_defaults)

    name: Annotated[str, NotBlank, Field(min_length=PRODUCT_NAME.lo, max_length=PRODUCT_NAME.hi)] = None  # type: ignore[assignment]  # absent is None; no None in the type, so the schema has no null
    description: Annotated[str, Field(max_length=DESCRIPTION_MAX)] = None  # type: ignore[assignment]  # absent is None; no None in the type, so the schema has no null
    price: Annotated[int, Field(ge=PRICE.lo, le=PRICE.hi)] = None  # type: ignore[assignment]  # absent is None; no None in the type, so the schema has no null
    count: Annotated[int, Field(ge=COUNT.lo, le=COUNT.hi)] = None  # type: ignore[assignment]  # absent is None; no None in the type, so the schema has no null
    # Hidden products leave the catalogue; orders that hold one keep it (emarket.catalog).
    hidden: bool = None  # type: ignore[assignment]  # absent is None; no None in the type, so the schema has no null

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        # Absent means "leave it"; an explicit null is not a value of any of these fields.
        if isinstance(data, dict) and any(v is None for v in data.values()):
            raise ValueError("fields may be left out but not null")
        return data


class OrderItemIn(StrictModel):
    product_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    quantity: Annotated[int, Field(ge=QUANTITY.lo, le=QUANTITY.hi)]


class OrderCreate(StrictModel):
    items: Annotated[list[OrderItemIn], Field(min_length=ORDER_LINES.lo, max_length=ORDER_LINES.hi)]

    @model_validator(mode="after")
    def _each_product_once(self) -> OrderCreate:
        ids = [item.product_id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("the same product appears twice; give it once with the total quantity")
        return self


class QueryModel(BaseModel):
    """Query strings: unknown parameters are ignored (caches and proxies add their own)."""

    model_config = ConfigDict(extra="ignore")


class PageQuery(QueryModel):
    limit: Annotated[int, QueryInt, Field(ge=PAGE_SIZE.lo, le=PAGE_SIZE.hi)] = PAGE_SIZE_DEFAULT
    cursor: Annotated[str | None, Field(min_length=CURSOR.lo, max_length=CURSOR.hi)] = None


class OrderCreateQuery(QueryModel):
    wait: Annotated[int | None, QueryInt, Field(ge=ORDER_WAIT.lo, le=ORDER_WAIT.hi)] = None


# --- replies (documentation) -------------------------------------------------------------


class Product(BaseModel):
    id: int
    name: str
    description: str
    price: int
    available: int
    count: int | None = Field(None, description="admins only")
    reserved: int | None = Field(None, description="admins only")
    hidden: bool | None = Field(None, description="admins only: left out of the catalogue")


class ProductOne(Product):
    currency: str


class ProductList(BaseModel):
    products: list[Product]
    currency: str
    next: str | None


class OrderItemOut(BaseModel):
    product_id: int
    quantity: int
    price: int | None


class SagaEventOut(BaseModel):
    name: str
    at: str
    detail: str


OrderStatus = Literal[order_status.STATUSES]  # type: ignore[valid-type]  # a Literal of the tuple's values, for pydantic; mypy reads it as Any


class OrderSummary(BaseModel):
    id: str
    status: OrderStatus
    reason: str | None
    total: int | None
    created_at: str
    updated_at: str
    payment_deadline: str | None


class OrderOut(OrderSummary):
    items: list[OrderItemOut]
    events: list[SagaEventOut]
    currency: str


class OrderList(BaseModel):
    orders: list[OrderSummary]
    currency: str
    next: str | None


class PaymentStarted(BaseModel):
    id: str
    status: Literal["payment_started"]


class OrderCancelled(BaseModel):
    id: str
    status: Literal["cancelled"]


class WalletOut(BaseModel):
    balance: int
    frozen: int
    currency: str


class Transaction(BaseModel):
    id: int
    kind: Literal["topup", "debit", "refund", "adjustment"]
    amount: int
    order_id: str | None
    topup_id: str | None
    at: str


class TransactionList(BaseModel):
    transactions: list[Transaction]
    currency: str
    next: str | None


class Topup(BaseModel):
    id: str
    amount: int
    currency: str
    bank_account: str
    status: Literal["initiated", "pending_confirmation", "captured", "credited", "failed", "expired"]
    confirm_url: str | None
    created_at: str
    updated_at: str


class TopupList(BaseModel):
    topups: list[Topup]
    currency: str
    next: str | None



# --- path parameters: documented, not enforced (an id of any other shape is docs/api.md's 404) ---


class ProductPath(BaseModel):
    product_id: Annotated[int, Field(json_schema_extra={"minimum": 1, "maximum": MAX_ID})]


class OrderPath(BaseModel):
    order_id: Annotated[str, Field(json_schema_extra={"format": "uuid"})]


class TopupPath(BaseModel):
    topup_id: Annotated[str, Field(json_schema_extra={"format": "uuid"})]
