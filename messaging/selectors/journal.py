"""Journal reads: the tail and its horizon, and the recent steps the numbers are computed from.

Every tail read stops at the journal's horizon (``journal_horizon``), below which no row can still
appear: writers commit in any order, so reading ``seq > last`` up to it misses no row.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Max

from messaging.models import JournalEntry, Step
from messaging.runtime.journal_horizon import journal_horizon


def journal_last_seq() -> int:
    """Where a tail starts: the newest row below the horizon (above it, smaller seqs may still appear)."""
    final = JournalEntry.objects.filter(seq__lte=journal_horizon().safe_seq())
    return final.aggregate(last=Max("seq"))["last"] or 0


def journal_after(*, seq: int, limit: int, fields: Sequence[str]) -> list[dict]:
    """Up to ``limit`` entries with ``seq`` greater than ``seq``, oldest first, up to the horizon (``fields`` only)."""
    final = JournalEntry.objects.filter(seq__gt=seq, seq__lte=journal_horizon().safe_seq())
    return list(final.order_by("seq").values(*fields)[:limit])


def journal_newest(*, limit: int, fields: Sequence[str]) -> list[dict]:
    """The newest ``limit`` entries up to the horizon, oldest first (``fields`` only)."""
    final = JournalEntry.objects.filter(seq__lte=journal_horizon().safe_seq())
    rows = list(final.order_by("-seq").values(*fields)[:limit])
    rows.reverse()
    return rows


def journal_of_correlation(*, correlation_id: str, limit: int, fields: Sequence[str]) -> list[dict]:
    """The newest ``limit`` entries of one conversation up to the horizon, oldest first (``fields`` only).

    One walk of the (correlation_id, seq) index, however old the conversation is.
    """
    final = JournalEntry.objects.filter(correlation_id=correlation_id, seq__lte=journal_horizon().safe_seq())
    rows = list(final.order_by("-seq").values(*fields)[:limit])
    rows.reverse()
    return rows


def first_seq_since(*, moment: datetime) -> int | None:
    """The first journal ``seq`` written at or after ``moment`` (via the ``at`` index), or None."""
    # Rows written in one transaction share ``at``: break the tie by seq, or PostgreSQL picks any of them.
    return JournalEntry.objects.filter(at__gte=moment).order_by("at", "seq").values_list("seq", flat=True).first()


def sent_entries(*, from_seq: int, limit: int) -> list[tuple[str, str]]:
    """(type, actor) of the newest ``limit`` `sent` entries from ``from_seq`` on: who sent which command."""
    rows = JournalEntry.objects.filter(step=Step.SENT, seq__gte=from_seq).order_by("-seq")
    return list(rows.values_list("type", "actor")[:limit])


def attempt_durations(*, from_seq: int, limit: int) -> list[tuple[str, str, float]]:
    """(handler, step, duration in ms) of the newest ``limit`` succeeded or failed attempts from ``from_seq``."""
    rows = JournalEntry.objects.filter(
        seq__gte=from_seq, step__in=(Step.SUCCEEDED, Step.FAILED), duration_ms__isnull=False
    ).order_by("-seq")
    return list(rows.values_list("handler", "step", "duration_ms")[:limit])
