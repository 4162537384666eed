"""Every list reply of the shop, one way (docs/api.md "Lists"): ``?limit`` and ``?cursor`` (checked by the
views' ``query: PageQuery``), one page fetched in one transaction (``emarket.pagination`` underneath; a cursor we
did not issue is a 400 from the app's error handler), and the reply
``{<field>: [...], "currency", "next"}``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify

from emarket.config import settings
from emarket.storage import unit_of_work
from web.shop.schemas import PageQuery

Fetch = Callable[..., tuple[list[Any], "str | None"]]  # fetch(uow, limit=..., cursor=...) -> (rows, next)


def list_reply(query: PageQuery, database: str, field: str, fetch: Fetch, view: Callable[[Any], Any] = lambda row: row) -> Response:
    """One page of ``fetch`` as a list reply; ``view`` turns each row into its JSON object,
    inside the transaction (so it may read more)."""
    with unit_of_work(database) as uow:
        rows, following = fetch(uow, limit=query.limit, cursor=query.cursor)
        items = [view(row) for row in rows]
    return jsonify({field: items, "currency": settings().currency, "next": following})
