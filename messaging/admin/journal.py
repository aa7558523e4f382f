"""The journal in the admin: every step of every message, searchable by its ids, never edited."""

from django.contrib import admin
from django.db.models import Q

from messaging.admin.display import (
    LargeReadOnlyAdmin,
    change_link,
    pre,
    search_link,
)
from messaging.admin.filters import ContextFilter
from messaging.admin.search import any_of, as_int, text_id_lookup, uuid_lookup
from messaging.models import JournalEntry, Message

RETRY_PERMISSION = "messaging.retry_delivery"


@admin.register(JournalEntry)
class JournalEntryAdmin(LargeReadOnlyAdmin):
    list_display = (
        "seq",
        "at",
        "step",
        "kind",
        "type",
        "handler",
        "attempt",
        "duration",
        "correlation",
        "actor",
    )
    list_filter = ("step", "kind", ContextFilter)
    search_fields = ("=message_id", "=correlation_id")  # for the search box; see search_q
    search_help_text = "Message id or correlation id (or the first 6+ characters of either), or seq."
    ids_only = True
    ordering = ("-seq",)
    sortable_by = ("seq",)
    fields = (
        ("seq", "at", "step"),
        ("kind", "type", "context"),
        ("message", "handler", "attempt", "duration"),
        ("correlation", "causation_id"),
        "actor",
        "detail_pre",
    )

    def search_q(self, term):
        number = as_int(term)
        return any_of(
            text_id_lookup("correlation_id", term),
            uuid_lookup("message_id", term),
            Q(seq=number) if number is not None else None,
        )

    @admin.display(description="duration")
    def duration(self, entry):
        return "-" if entry.duration_ms is None else f"{entry.duration_ms:.1f} ms"

    @admin.display(description="correlation id")
    def correlation(self, entry):
        return search_link(JournalEntry, entry.correlation_id)

    @admin.display(description="message")
    def message(self, entry):
        return change_link(Message, entry.message_id, str(entry.message_id)) if entry.message_id else "-"

    @admin.display(description="detail")
    def detail_pre(self, entry):
        return pre(entry.detail)
