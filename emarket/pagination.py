"""Keyset pagination, the one way every list is paged (products, orders, the wallet's ledger,
top-ups): newest first on columns that are unique together, the cursor naming the last row
shown. A page is one index range scan however deep the client goes, and rows inserted meanwhile
never shift a page.

Cursors are opaque to clients: URL-safe base64 of the last row's key as JSON (a time as its
exact ISO form, microseconds kept, so the cursor names the row and not a millisecond near it).
A cursor this service did not make — undecodable, or not a key of this list's shape — is
``BadCursor``, answered 400 ``invalid_cursor``.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from emarket.errors import DomainError

_MAX_INT = 2**63 - 1
_MAX_CURSOR = 200  # as PageQuery allows; our longest (a time and a UUID) is about 100


class BadCursor(DomainError):
    """A pagination cursor this service did not issue (docs/api.md: 400)."""

    default_reason = "invalid_cursor"


def encode(key: tuple[Any, ...]) -> str:
    """The cursor naming the row with this key (its values in the order of the list's columns)."""
    plain = [value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value for value in key]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_value(raw: Any, like: Any) -> Any:
    """One value of the cursor, checked against the kind of value its column holds."""
    if like is datetime:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        if moment is None or moment.tzinfo is None:
            raise ValueError
        return moment
    if like is int:
        if type(raw) is not int or not 0 < raw <= _MAX_INT:
            raise ValueError
        return raw
    if not isinstance(raw, str) or not 0 < len(raw) <= 64:
        raise ValueError
    return raw


def decode(cursor: str, kinds: Sequence[type]) -> tuple[Any, ...]:
    """The key a cursor names, its values of the given kinds (``datetime``, ``int``, ``str``)."""
    if not cursor or len(cursor) > _MAX_CURSOR:
        raise BadCursor()
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise ValueError
        return tuple(_decode_value(value, kind) for value, kind in zip(raw, kinds, strict=False))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor() from None


def _kind(column: InstrumentedAttribute[Any]) -> type:
    python_type = getattr(column.type, "impl", column.type).python_type
    return python_type if python_type in (datetime, int) else str


def page(session: Session, query: Select[*tuple[Any, ...]], columns: Sequence[InstrumentedAttribute[Any]], cursor: str | None, limit: int,
         scalars: bool = True) -> tuple[list[Any], str | None]:
    """Up to ``limit`` rows of ``query``, newest first on ``columns`` (the last one unique), after
    the row the cursor names; and the cursor of the next page, or None at the end.
    ``scalars=False`` keeps whole rows (a query of several entities); the key is read from the
    first entity of each."""
    query = query.order_by(*(column.desc() for column in columns)).limit(limit + 1)
    if cursor is not None:
        key = decode(cursor, [_kind(column) for column in columns])
        if len(columns) == 1:
            query = query.where(columns[0] < key[0])
        else:  # a row-value comparison: PostgreSQL turns it into a bound on the index itself
            query = query.where(tuple_(*columns) < tuple_(*(literal(v, c.type) for v, c in zip(key, columns, strict=False))))
    rows = (session.scalars(query) if scalars else session.execute(query)).all()
    shown = list(rows[:limit])
    if len(rows) <= limit:
        return shown, None
    last = shown[-1] if scalars else shown[-1][0]
    return shown, encode(tuple(getattr(last, str(column.key)) for column in columns))
