"""Experiments in the admin: read-only, with a link to their page on the dashboard (where one is started)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from marketplace.lab.models import Experiment


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "actor", "scenario_list", "orders_per_style", "status", "dashboard")
    list_filter = ("status",)
    search_fields = ("actor",)
    fields = (
        "status",
        "actor",
        "parameters",
        "progress",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "dashboard",
    )

    @admin.display(description="scenarios")
    def scenario_list(self, experiment: Experiment) -> str:
        return ", ".join(experiment.scenarios)

    @admin.display(description="orders per style")
    def orders_per_style(self, experiment: Experiment):
        return experiment.parameters.get("orders")

    @admin.display(description="results")
    def dashboard(self, experiment: Experiment) -> str:
        return format_html('<a href="{}">on the dashboard</a>', reverse("dashboard:experiment", args=[experiment.pk]))

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request):
        return False  # started by run_experiment or on the dashboard, which check what they are given

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
