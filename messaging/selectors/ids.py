"""An id as people type it: whole, or the first characters the pages show (``1a2b3c4d``).

Pages, the stream and e-mails show 8 characters of an id, so anywhere an id is asked for, a unique prefix
of at least ``MIN_PREFIX`` hex digits is enough. Both lookups are ranges on indexed columns (a message's
UUID primary key, the outbox's correlation column), never a ``LIKE``; at most ``MAX_MATCHES`` are listed.
"""

import re
import uuid
from dataclasses import dataclass, field

from messaging.models import JournalEntry, Message

MIN_PREFIX = 6
MAX_MATCHES = 10
_HEX_PREFIX = re.compile(r"^[0-9a-f-]+$")


@dataclass(frozen=True)
class IdMatches:
    """What ``term`` may stand for: correlation ids and message ids starting with it, or why none are looked up."""

    term: str
    correlation_ids: list[str] = field(default_factory=list)
    message_ids: list[uuid.UUID] = field(default_factory=list)
    problem: str = ""  # a sentence when the term is too short to look up
    more: bool = False  # more matches than listed

    @property
    def count(self) -> int:
        return len(self.correlation_ids) + len(self.message_ids)

    @property
    def ambiguous(self) -> bool:
        return self.count > 1


def ids_matching(*, term: str, in_journal: bool = False) -> IdMatches:
    """The correlation ids and message ids that are, or start with, ``term`` (a whole id matches only itself).

    ``in_journal``: the correlation ids of the journal instead (it keeps conversations whose messages were
    purged), and no message ids.
    """
    term = term.strip()
    if in_journal:
        return _journal_correlations(term)
    if (whole := _as_uuid(term)) is not None:
        return IdMatches(term, *_whole(whole))
    digits = term.lower()
    if not _HEX_PREFIX.match(digits):
        # Not part of a UUID: a correlation id of another shape is only found whole.
        found = Message.objects.filter(correlation_id=term).exists()
        return IdMatches(term, correlation_ids=[term] if found else [])
    if len(digits.replace("-", "")) < MIN_PREFIX:
        return IdMatches(term, problem=f"Give at least {MIN_PREFIX} characters of an id: {term!r} is too short.")
    correlations = _starting_with(Message.objects.all(), digits)
    in_range = Message.objects.filter(id__range=_uuid_range(digits)).order_by("id")
    messages = list(in_range.values_list("id", flat=True)[: MAX_MATCHES + 1])
    more = len(correlations) > MAX_MATCHES or len(messages) > MAX_MATCHES
    return IdMatches(term, correlations[:MAX_MATCHES], messages[:MAX_MATCHES], more=more)


def _journal_correlations(term: str) -> IdMatches:
    digits = term.lower()
    if _as_uuid(term) is not None or not _HEX_PREFIX.match(digits):
        found = JournalEntry.objects.filter(correlation_id=term).exists()
        return IdMatches(term, correlation_ids=[term] if found else [])
    if len(digits.replace("-", "")) < MIN_PREFIX:
        return IdMatches(term, problem=f"Give at least {MIN_PREFIX} characters of an id: {term!r} is too short.")
    correlations = _starting_with(JournalEntry.objects.all(), digits)
    return IdMatches(term, correlations[:MAX_MATCHES], more=len(correlations) > MAX_MATCHES)


def _starting_with(rows, prefix: str) -> list[str]:
    """Up to ``MAX_MATCHES`` + 1 distinct correlation ids of ``rows`` that start with ``prefix``, by index range."""
    return list(
        rows.filter(correlation_id__gte=prefix, correlation_id__lt=_after_prefix(prefix))
        .filter(correlation_id__startswith=prefix)
        .order_by("correlation_id")
        .values_list("correlation_id", flat=True)
        .distinct()[: MAX_MATCHES + 1]
    )


def _whole(value: uuid.UUID) -> tuple[list[str], list[uuid.UUID]]:
    correlation = str(value)
    correlations = [correlation] if Message.objects.filter(correlation_id=correlation).exists() else []
    messages = [value] if Message.objects.filter(pk=value).exists() else []
    return correlations, messages


def _as_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term) if len(term) >= 32 else None
    except ValueError:
        return None


def _after_prefix(prefix: str) -> str:
    """The smallest string above every string that starts with ``prefix`` (a hex or dash prefix)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _uuid_range(prefix: str) -> tuple[uuid.UUID, uuid.UUID]:
    digits = prefix.replace("-", "")[:32]
    return uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f"))
