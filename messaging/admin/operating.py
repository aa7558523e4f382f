"""Operating state in the admin: circuit breakers (read-only) and paused handlers.

Pausing and resuming go through ``controls.handler_pause`` and ``handler_resume`` whichever way the
operator does it (list actions, or the add/change form, whose handler field is the controls' own
``HandlerPauseForm``), so each is journaled with the operator as the actor and a resumed handler's work
is woken.
"""

from django import forms
from django.contrib import admin, messages

from messaging import controls
from messaging.admin.display import ReadOnlyAdmin, admin_actor
from messaging.errors import UnknownHandlerError
from messaging.models import CircuitBreaker, HandlerState


@admin.register(CircuitBreaker)
class CircuitBreakerAdmin(ReadOnlyAdmin):
    list_display = ("context", "state", "consecutive_failures", "open_until", "updated_at")
    list_filter = ("state",)
    ordering = ("context",)


class SubscriptionForm(controls.HandlerPauseForm, forms.ModelForm):
    class Meta:
        model = HandlerState
        fields = ("handler", "paused")


@admin.register(HandlerState)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("handler", "paused", "updated_at")
    list_filter = ("paused",)
    search_fields = ("handler",)  # one row per handler: a small table
    ordering = ("handler",)
    actions = ("pause", "resume")

    def get_readonly_fields(self, request, obj=None):
        return ("handler", "updated_at") if obj else ("updated_at",)

    def has_delete_permission(self, request, obj=None):
        return False  # "not paused" is said with resume, which is journaled

    def save_model(self, request, obj, form, change):
        if change and "paused" not in form.changed_data:
            return
        self._set_paused(obj.handler, paused=obj.paused, actor=admin_actor(request))

    @admin.action(description="Pause selected handlers", permissions=["change"])
    def pause(self, request, queryset):
        self._apply(request, queryset, paused=True)

    @admin.action(description="Resume selected handlers", permissions=["change"])
    def resume(self, request, queryset):
        self._apply(request, queryset, paused=False)

    def _apply(self, request, queryset, *, paused: bool):
        actor, done = admin_actor(request), 0
        for name in queryset.values_list("handler", flat=True):
            try:
                self._set_paused(name, paused=paused, actor=actor)
                done += 1
            except UnknownHandlerError as error:
                self.message_user(request, f"{error}: no such handler is registered any more.", messages.ERROR)
        if done:
            verb = "Paused" if paused else "Resumed"
            self.message_user(request, f"{verb} {done} handler{'s' if done != 1 else ''}.")

    @staticmethod
    def _set_paused(handler_name: str, *, paused: bool, actor: str) -> None:
        switch = controls.handler_pause if paused else controls.handler_resume
        switch(handler=handler_name, actor=actor)
