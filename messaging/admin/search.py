"""Admin search as exact, indexed lookups: never a ``LIKE`` over a million rows.

Each whitespace-separated term is tried as whatever it can be (a UUID, the
short id the lists show, a number, a correlation id or its first characters)
and the row matches any of them. Every alternative is an equality or a range
on an indexed column. A term too short to be the start of an id is said so.
"""

import re
import uuid

from django.contrib import messages
from django.db.models import Q

from messaging.selectors.ids import MIN_PREFIX

MAX_TERMS = 20
HEX_PREFIX = re.compile(rf"^[0-9a-f]{{{MIN_PREFIX},31}}$")
HEX_TEXT = re.compile(r"^[0-9a-f-]+$")


def as_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term)
    except ValueError:
        return None


def uuid_prefix_range(term: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The UUIDs starting with ``term`` (``MIN_PREFIX`` or more hex digits), as an indexable range."""
    digits = term.lower().replace("-", "")
    if not HEX_PREFIX.match(digits):
        return None
    return uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f"))


def as_int(term: str) -> int | None:
    return int(term) if term.isdigit() and len(term) < 19 else None


def uuid_lookup(field: str, term: str) -> Q | None:
    """``field`` equal to the UUID ``term``, or starting with its hex prefix."""
    if (value := as_uuid(term)) is not None:
        return Q(**{field: value})
    if (bounds := uuid_prefix_range(term)) is not None:
        return Q(**{f"{field}__range": bounds})
    return None


def text_ids(term: str) -> list[str]:
    """``term`` as stored in a text id column: as typed, and canonical if it is a UUID."""
    value = as_uuid(term)
    return sorted({term, str(value)}) if value is not None else [term]


def text_id_lookup(field: str, term: str) -> Q:
    """``field`` (a text id column) equal to ``term``, or starting with it when it is the start of a UUID."""
    exact = Q(**{f"{field}__in": text_ids(term)})
    prefix = term.lower()
    if not HEX_TEXT.match(prefix) or len(prefix.replace("-", "")) < MIN_PREFIX or as_uuid(term) is not None:
        return exact
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return exact | Q(**{f"{field}__gte": prefix, f"{field}__lt": after, f"{field}__startswith": prefix})


def too_short(term: str) -> bool:
    """A term that can only be meant as the start of an id, and is too short to look up as one."""
    return bool(HEX_TEXT.match(term.lower())) and as_int(term) is None and len(term.replace("-", "")) < MIN_PREFIX


def any_of(*alternatives: Q | None) -> Q:
    """OR of the alternatives that apply (``None`` ones are skipped)."""
    query = Q()
    for alternative in alternatives:
        if alternative is not None:
            query |= alternative
    return query


class ExactSearchMixin:
    """``get_search_results`` built from ``search_q(term)``; no ``DISTINCT`` needed.

    ``ids_only``: every term is meant as an id, so one too short to be the start of one is said so (where
    names are searched too, "Ada" or "cafe" are words, not short ids).
    """

    ids_only = False

    def search_q(self, term: str) -> Q:
        raise NotImplementedError

    def get_search_results(self, request, queryset, search_term):
        terms = search_term.split()[:MAX_TERMS]
        if not terms:
            return queryset, False
        for term in filter(too_short, terms if self.ids_only else []):
            messages.warning(request, f"{term!r} is too short to find an id by: give at least {MIN_PREFIX} characters.")
        query = Q()
        for term in terms:
            query |= self.search_q(term)
        if not query:  # no term could be anything searchable
            return queryset.none(), False
        return queryset.filter(query), False
