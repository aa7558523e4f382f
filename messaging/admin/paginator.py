"""Changelists that stay fast on tables of millions of rows.

Django's admin counts the whole filtered table on every page (``COUNT(*)``),
which on a million-row journal costs more than the page itself. Here the count
runs over a ``LIMIT``-ed subquery and stops at ``LIST_COUNT_CAP``: the page shows
"10000+" and the operator narrows the list with a search or a filter instead
of paging further.
"""

from django.contrib.admin import ShowFacets
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from messaging.selectors.numbers import LIST_COUNT_CAP


class BoundedCountPaginator(Paginator):
    """Counts at most ``cap`` rows: ``SELECT COUNT(*) FROM (... LIMIT cap + 1)``."""

    cap = LIST_COUNT_CAP

    @cached_property
    def _bounded_count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()  # the order is irrelevant to a count

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    @property
    def capped(self) -> bool:
        """True when there are more rows than were counted."""
        return self._bounded_count > self.cap


class LargeTableAdminMixin:
    """ModelAdmin settings that keep every changelist query bounded.

    No full count (neither the filtered one nor the "N total" one), no facet
    counts, no date hierarchy. Pair with ``ordering`` and ``sortable_by`` on
    indexed columns only.
    """

    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    list_per_page = 50
    list_max_show_all = 200
