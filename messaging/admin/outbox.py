"""The outbox in the admin: messages, their deliveries and the dead letters, read-only but for audited retries,
replays and archiving (``controls.dead_letters_retry``, ``controls.delivery_replay``,
``controls.dead_letters_archive``, as on the dashboard). Replaying deliveries that succeeded, retrying dead
letters of a permanent error and archiving first ask (``confirm_action.html``), as the dashboard does."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Q
from django.template.response import TemplateResponse

from messaging import controls
from messaging.admin.display import (
    LargeReadOnlyAdmin,
    ReadOnlyInline,
    admin_actor,
    change_link,
    pre,
    pretty_json,
    search_link,
    truncated,
)
from messaging.admin.filters import ContextFilter, DeliveryMessageTypeFilter, HandlerFilter, MessageTypeFilter
from messaging.admin.search import any_of, as_int, text_id_lookup, text_ids, uuid_lookup
from messaging.models import DeadLetter, Delivery, DeliveryStatus, JournalEntry, Message

RETRY_PERMISSION = "messaging.retry_delivery"
REPLAY_PERMISSION = "messaging.replay_delivery"


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("handler", "context", "status", "attempts", "available_at", "error")

    @admin.display(description="last error")
    def error(self, delivery):
        return truncated(delivery.last_error)


@admin.register(Message)
class MessageAdmin(LargeReadOnlyAdmin):
    list_display = ("created_at", "kind", "type", "context", "correlation", "short_id")
    list_display_links = ("created_at", "short_id")
    list_filter = ("kind", MessageTypeFilter, ContextFilter)
    search_fields = ("=id", "=correlation_id", "=causation_id")  # for the search box; see search_q
    search_help_text = "Message id, correlation id (or the first 6+ characters of either) or causation id."
    ids_only = True
    ordering = ("-created_at",)
    sortable_by = ("created_at",)
    fields = (
        ("id", "kind", "version"),
        ("type", "context"),
        ("correlation", "causation_id"),
        ("created_at", "not_before"),
        "reply_to",
        "journal",
        "payload_pretty",
        "signature",
    )
    inlines = (DeliveryInline,)

    def search_q(self, term):
        ids = text_ids(term)
        return any_of(text_id_lookup("correlation_id", term), Q(causation_id__in=ids), uuid_lookup("id", term))

    @admin.display(description="short id")
    def short_id(self, message):
        return str(message.id)[:8]

    @admin.display(description="correlation id")
    def correlation(self, message):
        return search_link(Message, message.correlation_id)

    @admin.display(description="journal")
    def journal(self, message):
        return search_link(JournalEntry, str(message.id), "this message's journal entries")

    @admin.display(description="payload")
    def payload_pretty(self, message):
        return pretty_json(message.payload)


@admin.register(Delivery)
class DeliveryAdmin(LargeReadOnlyAdmin):
    list_display = ("id", "message_type", "handler", "context", "status", "attempts", "available_at", "error")
    list_filter = ("status", ContextFilter, HandlerFilter)
    list_select_related = ("message",)
    search_fields = ("=message__id", "=message__correlation_id")  # for the search box; see search_q
    search_help_text = "Message id, correlation id (or the first 6+ characters of either) or delivery id."
    ids_only = True
    ordering = ("-id",)
    sortable_by = ("id",)
    actions = ("retry_dead_letters", "replay_deliveries")
    fields = (
        ("message_link", "message_type"),
        ("handler", "context"),
        ("status", "attempts", "max_attempts"),
        ("available_at", "lease_expires_at", "lease_token"),
        ("created_at", "updated_at", "finished_at"),
        "last_error",
        "traceback_pre",
        "result_pretty",
        "journal",
    )

    def search_q(self, term):
        found = Message.objects.filter(any_of(text_id_lookup("correlation_id", term), uuid_lookup("id", term)))
        number = as_int(term)
        return any_of(Q(message__in=found.values("id")), Q(pk=number) if number is not None else None)

    def has_retry_permission(self, request):
        # Delivery's own permissions (Meta.permissions), for the DeadLetter proxy's list too: the same ones the
        # dashboard's Retry and Replay buttons ask for, whichever door the operator uses.
        return request.user.has_perm(RETRY_PERMISSION)

    def has_replay_permission(self, request):
        return request.user.has_perm(REPLAY_PERMISSION)

    @admin.action(description="Retry selected dead letters", permissions=["retry"])
    def retry_dead_letters(self, request, queryset):
        chosen = list(queryset.values_list("pk", flat=True))
        if not chosen:
            return
        if not _confirmed(request):
            count, permanent = controls.dead_letters_tally(delivery_ids=chosen)
            if permanent:
                warning = (
                    f"{permanent} of these {count} dead letters failed with a permanent error (an invalid payload, "
                    "an unknown type, a refusal by the handler): retried, they fail the same way unless the cause "
                    "was fixed since."
                )
                return _confirmation(request, self, title="Retry dead letters?", warning=warning, button="Retry anyway")
        retried = controls.dead_letters_retry(delivery_ids=chosen, actor=admin_actor(request))
        if retried:
            self.message_user(request, f"Retried {retried} dead letter{'s' if retried != 1 else ''}.")
        else:
            self.message_user(request, "None of the selected deliveries was a dead letter.", messages.WARNING)

    @admin.action(description="Replay selected deliveries", permissions=["replay"])
    def replay_deliveries(self, request, queryset):
        actor = admin_actor(request)
        chosen = list(queryset.values_list("pk", flat=True))
        succeeded = queryset.filter(status=DeliveryStatus.SUCCEEDED).count()
        if succeeded and not _confirmed(request):
            warning = (
                f"{succeeded} of the selected deliveries already succeeded. Replaying runs their handlers again: "
                "whatever a handler does besides its own rows (an e-mail, a call to a payment gateway, a message "
                "to another context) happens again, unless the handler checks that it was already done."
            )
            return _confirmation(request, self, title="Replay deliveries?", warning=warning, button="Run them again")
        replayed = sum(
            controls.delivery_replay(delivery_id=pk, actor=actor, repeat_succeeded=bool(succeeded)) for pk in chosen
        )
        if replayed:
            self.message_user(request, f"Replaying {replayed} deliver{'ies' if replayed != 1 else 'y'}.")
        left = len(chosen) - replayed
        if left:
            self.message_user(
                request, f"{left} had not finished (waiting or running): they run anyway.", messages.WARNING
            )

    @admin.display(description="message type")
    def message_type(self, delivery):
        return delivery.message.type

    @admin.display(description="message")
    def message_link(self, delivery):
        return change_link(Message, delivery.message_id, str(delivery.message_id))

    @admin.display(description="last error")
    def error(self, delivery):
        return truncated(delivery.last_error)

    @admin.display(description="traceback")
    def traceback_pre(self, delivery):
        return pre(delivery.traceback)

    @admin.display(description="result")
    def result_pretty(self, delivery):
        return pretty_json(delivery.result)

    @admin.display(description="journal")
    def journal(self, delivery):
        return search_link(JournalEntry, str(delivery.message_id), "the message's journal entries")


@admin.register(DeadLetter)
class DeadLetterAdmin(DeliveryAdmin):
    list_display = ("id", "message_type", "handler", "context", "correlation", "attempts", "finished_at", "error")
    list_filter = (ContextFilter, HandlerFilter, DeliveryMessageTypeFilter)
    list_select_related = ("message",)
    search_help_text = "Message id (or its first 6+ characters), correlation id, delivery id, or words of the error."
    ids_only = False  # words of an error are short too: no warning that they are too short to be ids
    actions = ("retry_dead_letters", "replay_deliveries", "archive_dead_letters")
    fields = (
        "last_error",
        "traceback_pre",
        ("message_link", "message_type"),
        ("handler", "context"),
        ("attempts", "max_attempts", "finished_at"),
        "journal",
    )

    def search_q(self, term):
        return any_of(super().search_q(term), Q(last_error__icontains=term))

    @admin.display(description="order (correlation)")
    def correlation(self, delivery):
        return search_link(Message, delivery.message.correlation_id)

    @admin.action(description="Archive selected dead letters", permissions=["retry"])
    def archive_dead_letters(self, request, queryset):
        chosen = list(queryset.values_list("pk", flat=True))
        if not chosen:
            return
        if not _confirmed(request):
            warning = (
                f"The {len(chosen)} selected dead letters leave the outbox for good: they can no longer be retried. "
                "The journal keeps, for each, its handler, its error and that you archived it."
            )
            return _confirmation(request, self, title="Archive dead letters?", warning=warning, button="Archive")
        archived = controls.dead_letters_archive(delivery_ids=chosen, actor=admin_actor(request))
        self.message_user(request, f"Archived {archived} dead letter{'s' if archived != 1 else ''}.")


def _confirmed(request) -> bool:
    return request.POST.get("confirm") == "yes"


def _confirmation(request, model_admin, *, title: str, warning: str, button: str):
    """The page that asks before an action: it posts the same action and selection back, confirmed."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "warning": warning,
        "button": button,
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/messaging/confirm_action.html", context)
