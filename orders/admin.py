"""Orders in the admin: to look at, not to edit.

An order changes state only through ``orders.services`` (paying it publishes
``OrderPaid`` in the same transaction); an edit form here would skip that.
"""

from django.contrib import admin
from django.db.models import Q

from messaging.admin_display import LargeReadOnlyAdmin
from messaging.admin_search import any_of, uuid_lookup
from orders.models import Order


@admin.register(Order)
class OrderAdmin(LargeReadOnlyAdmin):
    list_display = ("id", "customer_name", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("=id", "customer_name")  # for the search box; see search_q
    search_help_text = "Exact order id (or its first 8+ hex digits), or part of the customer's name."
    ordering = ("-created_at",)
    sortable_by = ("created_at",)
    fields = (
        ("id", "status"),
        "customer_name",
        ("vendor_ids", "notified_vendor_ids"),
        "cancel_reason",
        ("created_at", "updated_at"),
    )

    def search_q(self, term):
        return any_of(uuid_lookup("id", term), Q(customer_name__icontains=term))
