"""The fault lab in the admin: make a context's handlers unavailable, slow or flaky, on purpose.

One row per destination context (see ``messaging.runtime.faults`` for what the worker does with it), there
for every context that has handlers (``controls.fault_rows_ensure`` when the list is shown): nothing to add,
nothing to delete. The list is editable in place so that staff can break a context and restore it in one
click. The fields and their errors are the controls' own ``FaultForm``, as on the dashboard; every save, and
Restore, goes through ``controls.fault_set``, journaled with ``admin:<username>``. A row is restored, never deleted.
"""

from django import forms
from django.contrib import admin

from messaging import controls
from messaging.admin.display import admin_actor
from messaging.models import FaultSetting


class FaultSettingForm(controls.FaultForm, forms.ModelForm):
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
    actions = ("restore",)

    def get_readonly_fields(self, request, obj=None):
        return ("context", "updated_at")

    def changelist_view(self, request, extra_context=None):
        controls.fault_rows_ensure()
        return super().changelist_view(request, extra_context)

    def get_object(self, request, object_id, from_field=None):
        """A context that has handlers and no row yet is shown healthy, as the worker reads it."""
        found = super().get_object(request, object_id, from_field)
        if found is None and object_id in controls.fault_settings():
            return FaultSetting(context=object_id)
        return found

    def has_add_permission(self, request):
        return False  # every context with handlers has its row

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=ChangelistFaultSettingForm, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # "no fault" is said with Restore, which is journaled

    def save_model(self, request, obj, form, change):
        saved = controls.fault_set(
            context=obj.context,
            unavailable=obj.unavailable,
            latency_ms=obj.latency_ms,
            failure_rate=obj.failure_rate,
            actor=admin_actor(request),
        )
        obj.updated_at = saved.updated_at

    @admin.action(description="Restore selected contexts (no fault)", permissions=["change"])
    def restore(self, request, queryset):
        actor = admin_actor(request)
        contexts = list(queryset.values_list("context", flat=True))
        for context in contexts:
            controls.fault_clear(context=context, actor=actor)
        self.message_user(request, "Restored " + ", ".join(contexts) + ".")
