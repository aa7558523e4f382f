"""The fault lab in the admin: make a context's handlers unavailable, slow or flaky, on purpose.

One row per destination context (see ``messaging.runtime.faults`` for what the
worker does with it). The list is editable in place so that staff can break
a context and restore it in one click; the limits are the model's own
(0 to 100 %, at most 30 s), said in words a person can act on.
"""

from django import forms
from django.contrib import admin

from messaging.models import FaultSetting
from messaging.runtime.registry import registry

MAX_LATENCY_MS = 30_000


def handler_contexts() -> list[tuple[str, str]]:
    """The contexts that have handlers: the only ones a fault can apply to."""
    return [(name, name) for name in sorted({h.context for h in registry.handlers.values()})]


class FaultSettingForm(forms.ModelForm):
    context = forms.ChoiceField(choices=handler_contexts, help_text="The context whose handlers should misbehave.")
    latency_ms = forms.IntegerField(
        label="Latency (ms)",
        min_value=0,
        max_value=MAX_LATENCY_MS,
        initial=0,
        error_messages={
            "min_value": "The latency cannot be negative.",
            "max_value": f"The latency is at most {MAX_LATENCY_MS} ms (30 seconds).",
            "invalid": "Enter the latency as a whole number of milliseconds.",
        },
        help_text=f"Added before each handler of the context runs (0 to {MAX_LATENCY_MS} ms).",
    )
    failure_rate = forms.IntegerField(
        label="Failure rate (%)",
        min_value=0,
        max_value=100,
        initial=0,
        error_messages={
            "min_value": "The failure rate is a percentage: 0 to 100.",
            "max_value": "The failure rate is a percentage: 0 to 100.",
            "invalid": "Enter the failure rate as a whole number from 0 to 100.",
        },
        help_text="Percent of the context's handler attempts that fail, transiently (0 to 100).",
    )

    class Meta:
        model = FaultSetting
        fields = ("context", "unavailable", "latency_ms", "failure_rate")


class ChangelistFaultSettingForm(FaultSettingForm):
    """The list's inline form: the context is the row, not an input."""

    context = None

    class Meta(FaultSettingForm.Meta):
        fields = ("unavailable", "latency_ms", "failure_rate")


@admin.register(FaultSetting)
class FaultSettingAdmin(admin.ModelAdmin):
    form = FaultSettingForm
    list_display = ("context", "unavailable", "latency_ms", "failure_rate", "updated_at")
    list_editable = ("unavailable", "latency_ms", "failure_rate")
    list_filter = ("unavailable",)
    ordering = ("context",)

    def get_readonly_fields(self, request, obj=None):
        return ("context", "updated_at") if obj else ("updated_at",)

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=ChangelistFaultSettingForm, **kwargs)
