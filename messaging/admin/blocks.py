"""What the contexts' admins may build on: read-only admins for large tables, links, exact searches.

The one part of ``messaging.admin`` other apps import; the rest registers messaging's own tables.
A context links to messaging's own lists by the table's name (``messaging_search_link("JournalEntry", ...)``),
never by importing its models.
"""

from django.apps import apps

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
from messaging.admin.search import ExactSearchMixin, any_of, as_int, uuid_lookup


def messaging_search_link(model_name: str, query: str, text: str | None = None) -> str:
    """A link to messaging's ``model_name`` list (``"Message"``, ``"Delivery"``, ``"JournalEntry"``) searched for
    ``query`` (an exact, indexed search)."""
    return search_link(apps.get_model("messaging", model_name), query, text)


__all__ = [
    "ExactSearchMixin",
    "LargeReadOnlyAdmin",
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "admin_actor",
    "any_of",
    "as_int",
    "change_link",
    "messaging_search_link",
    "pretty_json",
    "search_link",
    "truncated",
    "uuid_lookup",
]
