"""Vendors in the admin: vendors and products are edited here; notifications are history.

A product is listed and changed through ``vendors.services`` whichever way the
operator does it, so every new product, price and stock reaches Orders'
catalog as an event. What Vendors has published under a name (a
product's name and vendor, a vendor's name) is read-only once saved.
"""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from messaging.admin.blocks import (
    ExactSearchMixin,
    LargeReadOnlyAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    any_of,
    as_int,
    messaging_search_link,
    pretty_json,
    uuid_lookup,
)
from vendors import services
from vendors.models import CancelledOrder, Product, Vendor, VendorNotification


class ProductInline(ReadOnlyInline):
    """The vendor's products, read-only: they change on their own page, which publishes the change."""

    model = Product
    fields = ("name", "price", "stock", "revision")


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active", "lab", "product_count", "slug")
    list_filter = ("kind", "active", "lab")
    search_fields = ("name", "slug")
    ordering = ("name",)
    filter_horizontal = ("staff",)
    inlines = (ProductInline,)

    def get_fields(self, request, obj=None):
        fields = ["name", "slug", "kind", "active", "lab", "staff"]
        return [*fields, "add_product"] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        # Vendors published the name with every product, and the portal's URLs use the slug. The lab's vendors
        # are made by the lab (lab_vendors_ensure), and the flag went out with their products: never edited here.
        return ("name", "slug", "lab", "add_product") if obj else ("lab",)

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_total=Count("products"))

    @admin.display(description="products", ordering="product_total")
    def product_count(self, vendor):
        return vendor.product_total

    @admin.display(description="new product")
    def add_product(self, vendor):
        url = reverse("admin:vendors_product_add") + "?" + urlencode({"vendor": vendor.pk})
        return format_html('<a href="{}">List a new product for {}</a>', url, vendor.name)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "vendor", "price", "stock", "revision")
    list_filter = ("vendor",)
    list_select_related = ("vendor",)
    search_fields = ("name", "vendor__name")
    ordering = ("vendor__name", "name")
    fields = ("vendor", "name", "price", "stock", "revision")

    def get_readonly_fields(self, request, obj=None):
        return ("vendor", "name", "revision") if obj else ("revision",)

    def has_delete_permission(self, request, obj=None):
        return False  # there is no "delisted" event: set the stock to 0 instead

    def save_model(self, request, obj, form, change):
        """Through the services, so that Orders' catalog hears of it (never ``obj.save()``)."""
        if not change:
            listed = services.product_list(vendor=obj.vendor, product_name=obj.name, price=obj.price, stock=obj.stock)
            obj.pk, obj._state.adding = listed.pk, False
        else:
            if "price" in form.changed_data:
                services.product_change_price(product_id=obj.pk, price=obj.price)
            if "stock" in form.changed_data:
                services.product_change_stock(product_id=obj.pk, stock=obj.stock)
        obj.refresh_from_db()


@admin.register(VendorNotification)
class VendorNotificationAdmin(LargeReadOnlyAdmin):
    list_display = ("id", "vendor", "short_order_id", "status", "via", "created_at")
    list_display_links = ("id", "short_order_id")
    list_filter = ("status", "via", "vendor")
    list_select_related = ("vendor",)
    search_fields = ("=order_id", "=vendor__id")  # for the search box; see search_q
    search_help_text = "Exact order id (or its first 6+ characters), or vendor id."
    ordering = ("-id",)
    sortable_by = ("id",)
    fields = (
        ("vendor", "status", "via"),
        "order_id",
        ("created_at", "updated_at"),
        "lines_pretty",
        "conversation",
    )

    def search_q(self, term):
        number = as_int(term)
        return any_of(uuid_lookup("order_id", term), Q(vendor_id=number) if number is not None else None)

    @admin.display(description="order")
    def short_order_id(self, notification):
        return str(notification.order_id)[:8]

    @admin.display(description="lines")
    def lines_pretty(self, notification):
        return pretty_json(notification.lines)

    @admin.display(description="the order's conversation")
    def conversation(self, notification):
        order_id = str(notification.order_id)
        return format_html(
            "{} · {}",
            messaging_search_link("Message", order_id, "messages"),
            messaging_search_link("JournalEntry", order_id, "journal"),
        )


@admin.register(CancelledOrder)
class CancelledOrderAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ("order_id", "reason", "cancelled_at")
    search_fields = ("=order_id",)  # for the search box; see search_q
    search_help_text = "Exact order id (or its first 6+ characters)."
    ordering = ("-cancelled_at",)

    def search_q(self, term):
        return any_of(uuid_lookup("order_id", term))
