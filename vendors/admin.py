"""Vendors in the admin: vendors are edited here; notifications are history."""

from django.contrib import admin
from django.db.models import Q

from messaging.admin_display import LargeReadOnlyAdmin
from messaging.admin_search import any_of, as_int, uuid_lookup
from vendors.models import Vendor, VendorNotification


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    ordering = ("name",)


@admin.register(VendorNotification)
class VendorNotificationAdmin(LargeReadOnlyAdmin):
    list_display = ("id", "vendor", "order_id", "created_at")
    list_select_related = ("vendor",)
    search_fields = ("=order_id", "=vendor__id")  # for the search box; see search_q
    search_help_text = "Exact order id (or its first 8+ hex digits), or vendor id."
    ordering = ("-id",)
    sortable_by = ("id",)
    fields = ("vendor", "order_id", "created_at")

    def search_q(self, term):
        number = as_int(term)
        return any_of(uuid_lookup("order_id", term), Q(vendor_id=number) if number is not None else None)
