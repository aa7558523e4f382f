"""Which stored messages and deliveries an operator means: the filters of the command-line tools.

``selection_build`` checks every filter against the registry and the table
(unknown id, type, handler or context, a malformed UUID or moment, ``since``
after ``until``...) and reports all the mistakes at once, one line each, before
anything runs. ``keyset_batches`` then streams what was selected in batches by
key, so that memory stays flat however many rows match.
"""

import difflib
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from messaging.errors import MessagingError
from messaging.models import Delivery, DeliveryStatus, Kind, Message
from messaging.runtime.registry import registry

RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class SelectionError(MessagingError):
    """One or more filters are wrong; ``errors`` has one line per mistake."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Selection:
    """Filters, all optional and combined with AND; values of one repeated filter with OR."""

    ids: tuple[uuid.UUID, ...] = ()
    types: tuple[str, ...] = ()
    kind: str | None = None
    statuses: tuple[str, ...] = ()
    handlers: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()  # the handlers' (destination) contexts
    correlation_id: str | None = None
    since: datetime | None = None  # messages created at or after
    until: datetime | None = None  # messages created before
    limit: int | None = None

    def messages(self) -> QuerySet:
        """Messages matching the message-level filters (ids, type, kind, correlation, time)."""
        return Message.objects.filter(self._message_q())

    def deliveries(self) -> QuerySet:
        """Deliveries matching every filter."""
        q = self._message_q(prefix="message__")
        for field, values in (("status", self.statuses), ("handler", self.handlers), ("context", self.contexts)):
            if values:
                q &= Q(**{f"{field}__in": values})
        return Delivery.objects.filter(q)

    def _message_q(self, prefix: str = "") -> Q:
        q = Q()
        for lookup, value in (
            ("id__in", self.ids),
            ("type__in", self.types),
            ("kind", self.kind),
            ("correlation_id", self.correlation_id),
            ("created_at__gte", self.since),
            ("created_at__lt", self.until),
        ):
            if value:
                q &= Q(**{prefix + lookup: value})
        return q

    def describe(self) -> str:
        """The filters as command-line options, for the journal and messages to the operator."""
        parts = [f"--id {value}" for value in self.ids]
        parts += [f"--type {value}" for value in self.types]
        parts += [f"--kind {self.kind}"] if self.kind else []
        parts += [f"--status {value}" for value in self.statuses]
        parts += [f"--handler {value}" for value in self.handlers]
        parts += [f"--context {value}" for value in self.contexts]
        parts += [f"--correlation-id {self.correlation_id}"] if self.correlation_id else []
        parts += [f"--since {self.since.isoformat()}"] if self.since else []
        parts += [f"--until {self.until.isoformat()}"] if self.until else []
        parts += [f"--limit {self.limit}"] if self.limit is not None else []
        return " ".join(parts)

    @property
    def is_empty(self) -> bool:
        return self == Selection(limit=self.limit)


def selection_build(
    *,
    ids: Iterable[str] = (),
    types: Iterable[str] = (),
    kind: str | None = None,
    statuses: Iterable[str] = (),
    handlers: Iterable[str] = (),
    contexts: Iterable[str] = (),
    correlation_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> Selection:
    """A checked ``Selection`` from the operator's text; ``SelectionError`` lists every mistake."""
    now = now or timezone.now()
    errors: list[str] = []
    message_ids = _parse_ids(ids, errors)
    _check_known("type", types, registry.messages, errors)
    _check_known("handler", handlers, registry.handlers, errors)
    _check_known("context", contexts, registry.contexts(), errors)
    _check_known("status", statuses, DeliveryStatus.values, errors, noun="delivery status")
    if kind is not None:
        _check_known("kind", [kind], Kind.values, errors, noun="message kind")
    start, end = parse_moment("--since", since, now, errors), parse_moment("--until", until, now, errors)
    if start and start > now:
        errors.append(f"--since {since} is in the future ({start.isoformat(timespec='seconds')})")
    if start and end and start >= end:
        errors.append(f"--since {since} is not before --until {until}: nothing could match")
    if limit is not None and limit < 1:
        errors.append(f"--limit must be a positive number of deliveries (got {limit})")
    if errors:
        raise SelectionError(errors)
    return Selection(
        ids=message_ids,
        types=tuple(dict.fromkeys(types)),
        kind=kind,
        statuses=tuple(dict.fromkeys(statuses)),
        handlers=tuple(dict.fromkeys(handlers)),
        contexts=tuple(dict.fromkeys(contexts)),
        correlation_id=correlation_id or None,
        since=start,
        until=end,
        limit=limit,
    )


def _parse_ids(texts: Iterable[str], errors: list[str]) -> tuple[uuid.UUID, ...]:
    ids = []
    for text in texts:
        try:
            ids.append(uuid.UUID(text))
        except ValueError:
            errors.append(f"--id {text!r} is not a message id (a UUID like 8c4a0f6e-...)")
    ids = list(dict.fromkeys(ids))
    found = set()
    for start in range(0, len(ids), 500):
        found.update(Message.objects.filter(pk__in=ids[start : start + 500]).values_list("pk", flat=True))
    errors.extend(f"--id {value}: no such message" for value in ids if value not in found)
    return tuple(ids)


def _check_known(option: str, values: Iterable[str], known, errors: list[str], *, noun: str | None = None) -> None:
    for value in values:
        if value in known:
            continue
        if len(known) <= 8:
            hint = "known: " + ", ".join(sorted(known))
        elif close := difflib.get_close_matches(value, known, n=1, cutoff=0.85):
            hint = f"did you mean {close[0]}?"
        else:
            hint = "not in the registry"
        errors.append(f"--{option} {value!r}: unknown {noun or option} ({hint})")


def parse_moment(option: str, text: str | None, now: datetime, errors: list[str]) -> datetime | None:
    """``2h``, ``30m``, ``7d``, ``1w`` ago, or an ISO 8601 date or time (UTC when it names no zone)."""
    if not text:
        return None
    if match := RELATIVE.match(text.strip()):
        return now - timedelta(**{UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        errors.append(f"{option} {text!r} is neither a duration like 2h, 30m, 7d nor an ISO 8601 date or time")
        return None
    return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment


def keyset_batches(
    queryset: QuerySet, *, key: tuple[str, ...] = ("pk",), size: int = 1000, limit: int | None = None
) -> Iterator[list]:
    """Rows of ``queryset`` in lists of ``size``, ordered by ``key``, up to ``limit`` rows in all.

    Each query starts after the last key seen (keyset pagination): no OFFSET, no
    server-side cursor, the same cost for the last batch as for the first, and
    rows changed by the caller between batches neither repeat nor go missing.
    Rows must expose the key fields as attributes (models, or named tuples);
    a key field written ``-pk`` orders that field newest first.
    """
    queryset = queryset.order_by(*key)
    after, remaining = None, limit
    while remaining is None or remaining > 0:
        take = size if remaining is None else min(size, remaining)
        page = queryset.filter(_after(key, after)) if after is not None else queryset
        rows = list(page[:take])
        if not rows:
            return
        yield rows
        after = tuple(getattr(rows[-1], field.lstrip("-")) for field in key)
        if remaining is not None:
            remaining -= len(rows)
        if len(rows) < take:
            return


def _after(key: tuple[str, ...], values: tuple) -> Q:
    """Rows whose (k1, k2, ...) comes after ``values``: k1 > v1, or k1 = v1 and k2 > v2, ..."""
    q, equal = Q(), Q()
    for field, value in zip(key, values, strict=True):
        name, beyond = (field[1:], "lt") if field.startswith("-") else (field, "gt")
        q |= equal & Q(**{f"{name}__{beyond}": value})
        equal &= Q(**{name: value})
    return q
