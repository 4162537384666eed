"""The shop's limits, written once (docs/api.md is their contract): the API's validation and so
its OpenAPI document (web/shop/schemas.py, web/common/api_docs.py), the cart and the pages with
their forms, and the database's own checks and column widths all read them here.

They live in ``db``, the lowest floor, because the database's checks use them and ``db`` imports
nothing above itself; ``emarket`` and ``web`` import them from here. Changing a value that a
CHECK constraint or a column width renders needs a migration.
"""
from __future__ import annotations

from typing import NamedTuple


class Range(NamedTuple):
    """Inclusive bounds."""

    lo: int
    hi: int


QUANTITY = Range(1, 1000)  # units of one product in one order line
ORDER_LINES = Range(1, 50)  # different products in one order (and in a cart)
IDEMPOTENCY_KEY = Range(1, 255)  # characters of an Idempotency-Key
PRODUCT_NAME = Range(1, 200)  # characters, counted after trimming
DESCRIPTION_MAX = 5000  # characters of a product description
PRICE = Range(1, 100_000_000)  # minor units
COUNT = Range(0, 1_000_000)  # units on hand
PAGE_SIZE = Range(1, 100)  # ?limit= of a list
PAGE_SIZE_DEFAULT = 20
CURSOR = Range(1, 200)  # characters of an opaque ?cursor=
ORDER_WAIT = Range(0, 30)  # seconds of POST /api/orders?wait=
TOPUP_AMOUNT = Range(1, 10_000_000)  # minor units of one wallet top-up
