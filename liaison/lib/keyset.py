"""Keyset pages for API lists: "the next 50 after this one", at the same cost on page 1 and page 10,000.

An offset makes the database read and throw away every row before the page. A keyset page instead starts
after the last row the client saw, found through the index that gives the order. The cursor handed to the
client names that row's sort values; it is opaque to clients (base64 of JSON) and carries no patient data,
only dates and ids.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from liaison.lib.errors import ApplicationError

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    items: list[M]
    next_cursor: str | None  # None on the last page


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != count or not all(isinstance(v, str | int) for v in values):
        raise ApplicationError("That page cursor is not one this list gave out; start again from the first page.")
    return values


def _after(fields: tuple[str, ...], values: list[Any]) -> Q:
    """Rows that sort after ``values``: (a > x) or (a = x and (b > y or (b = y and ...)))."""
    condition = Q(**{f"{fields[-1]}__gt": values[-1]})
    for field, value in zip(reversed(fields[:-1]), reversed(values[:-1]), strict=True):
        condition = Q(**{f"{field}__gt": value}) | (Q(**{field: value}) & condition)
    return condition


def keyset_page(
    queryset: QuerySet[M], *, order: tuple[str, ...], cursor: str | None, limit: int = DEFAULT_LIMIT
) -> KeysetPage[M]:
    """One page of ``queryset`` in ``order`` (ascending, non-null fields ending in a unique one, e.g. ``pk``)."""
    limit = max(1, min(limit, MAX_LIMIT))
    ordered = queryset.order_by(*order)
    if cursor:
        values = _decode(cursor, len(order))
        # The leading >= lets the database start its index scan at the cursor, not at the first row.
        ordered = ordered.filter(**{f"{order[0]}__gte": values[0]}).filter(_after(order, values))
    # The page's keys first, from the list's own table alone (no joined rows): the database finds and sorts
    # the matching rows narrowly and stops at the page, instead of joining every match (a case and its site
    # for each of an investigator's twenty thousand requests) before it sorts. Then the page's rows, whole.
    keys = list(ordered.values_list("pk", flat=True)[: limit + 1])
    loaded = queryset.in_bulk(keys)
    rows = [loaded[key] for key in keys if key in loaded]
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode([getattr(last, "pk" if f == "pk" else f) for f in order])
    return KeysetPage(items=items, next_cursor=next_cursor)
