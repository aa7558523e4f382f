"""What the contexts' admins may build on: read-only admins for large tables, links, exact searches.

The one part of ``messaging.admin`` other apps import; the rest registers messaging's own tables.
"""

from messaging.admin.display import (
    LargeReadOnlyAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    admin_actor,
    change_link,
    pretty_json,
    search_link,
    truncated,
)
from messaging.admin.paginator import COUNT_CAP
from messaging.admin.search import ExactSearchMixin, any_of, as_int, uuid_lookup

__all__ = [
    "COUNT_CAP",
    "ExactSearchMixin",
    "LargeReadOnlyAdmin",
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "admin_actor",
    "any_of",
    "as_int",
    "change_link",
    "pretty_json",
    "search_link",
    "truncated",
    "uuid_lookup",
]
