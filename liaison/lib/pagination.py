"""Pages of long lists whose count stays cheap at any size.

Counting every matching row of a million-case table costs more than showing the page. A list needs to know
only whether there are "more than N": the count stops at ``cap`` (a ``COUNT`` over a ``LIMIT`` subquery), and
the pages reach as far as the cap. Past it, the person narrows the filters, which is what they want anyway.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property

DEFAULT_CAP = 10_000


class CappedPaginator(Paginator):
    """A ``Paginator`` whose count stops at ``cap``; ``capped`` says the list goes on beyond it."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int = DEFAULT_CAP, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _bounded_count(self) -> int:
        return capped_count(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    @property
    def capped(self) -> bool:
        return self._bounded_count > self.cap

    @property
    def count_label(self) -> str:
        """ "1,234" or "more than 10,000", for the line above the list."""
        return f"more than {self.cap:,}" if self.capped else f"{self.count:,}"


def capped_count(queryset: Any, cap: int) -> int:
    """How many rows, counting no further than ``cap + 1`` (so ``> cap`` means "more than ``cap``")."""
    # Unordered: which rows are counted first does not matter, and an order would make the database walk the
    # list's sort index instead of the cheapest way to the rows.
    return int(queryset.order_by()[: cap + 1].count())
