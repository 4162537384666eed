"""The saga context: what every message of one order's saga carries, as one declared type.

A step takes it and returns it, filled a little further: ``product.check`` adds the unit
prices, ``order.start_payment`` the items, the total and its outcome. In a message it is a
JSON object with exactly these keys; a field still unknown is left out. The keys are those of
the plain dict the saga carried before this type existed, so messages that version queued
(orders in flight during a deploy, countdowns waiting in the broker) are read as they are, and
a worker of that version reads ours.

Celery's ``pydantic=True`` tasks rebuild it from the message by their parameter's type and
write the one they return back as JSON; kombu's encoder calls ``__json__`` wherever else it
travels (bound to an error callback, the first step of a chain).
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

ORDER_ID, CID = "order_id", "cid"  # the two keys every message of a saga has (cid may be null)


class SagaContext(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    order_id: str
    # The correlation id: every log line of the saga carries it (emarket.logs).
    cid: str | None = None
    user_id: int
    # (product id, quantity), by product id. Phase 2 starts without them: order.start_payment
    # reads them from the order.
    items: tuple[tuple[int, int], ...] | None = None
    total: int | None = None  # minor units; known once phase 1 priced the order
    prices: dict[int, int] | None = None  # unit prices by product id, from product.check
    outcome: str | None = None  # order.start_payment's answer (the web waits for it)

    @classmethod
    def of(cls, value: SagaContext | dict[str, Any]) -> SagaContext:
        """The context itself, or one read from a message's JSON object."""
        return value if isinstance(value, cls) else cls.model_validate(value)

    def ids(self) -> SagaContext:
        """Only the ids: what compensating needs (the order; its user and correlation id), bound
        to every step's error callback, so each message of a chain carries it several times."""
        return SagaContext(order_id=self.order_id, cid=self.cid, user_id=self.user_id)

    def filled(self, **fields: Any) -> SagaContext:
        """This context with more of its fields known (checked like a message's)."""
        return type(self).model_validate({**dict(self), **fields})

    @staticmethod
    def ids_in(message: Any) -> tuple[str | None, str | None]:
        """``(order id, correlation id)`` of a context in a message, without validating the
        rest (the logging signals read them for every task run)."""
        if isinstance(message, SagaContext):
            return message.order_id, message.cid
        if isinstance(message, dict):
            return message.get(ORDER_ID), message.get(CID)
        return None, None

    @model_serializer(mode="wrap")
    def _known_fields_only(self, write: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {key: value for key, value in write(self).items() if value is not None}

    def __json__(self) -> dict[str, Any]:
        """kombu's JSON encoder: the context as its message's JSON object."""
        return self.model_dump(mode="json")
