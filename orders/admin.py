"""Orders in the admin: the history is read-only (orders, lines, vendors' parts, payments,
the catalog read model); the one thing staff edit is the store's settings (the style)."""

from django.contrib import admin
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse

from messaging.admin.blocks import (
    LargeReadOnlyAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    admin_actor,
    any_of,
    change_link,
    messaging_search_link,
    truncated,
    uuid_lookup,
)
from orders.models import CatalogProduct, Order, OrderLine, OrderVendor, Payment, StoreSettings
from orders.services.settings import store_settings, store_settings_update
from orders.settings_form import StyleForm


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("name", "vendor_name", "unit_price", "quantity", "product_id")


class OrderVendorInline(ReadOnlyInline):
    model = OrderVendor
    fields = ("vendor_name", "status", "command_id", "acknowledged_at", "last_error", "updated_at")


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("reference", "amount", "card_last4", "status", "message", "created_at", "refunded_at")


class StyleFilter(admin.SimpleListFilter):
    """The styles there are, without a ``SELECT DISTINCT`` over every order."""

    title = "style"
    parameter_name = "style"

    def lookups(self, request, model_admin):
        return [(value, value) for value in StoreSettings.Style.values]

    def queryset(self, request, queryset):
        return queryset.filter(style=self.value()) if self.value() else queryset


class PlacedByFilter(admin.SimpleListFilter):
    """The shop's own orders, or the trade-off lab's (tagged with the run that placed them)."""

    title = "placed by"
    parameter_name = "placed_by"

    def lookups(self, request, model_admin):
        return [("shop", "the shop"), ("lab", "the trade-off lab")]

    def queryset(self, request, queryset):
        if self.value() == "shop":
            return queryset.filter(experiment="")
        if self.value() == "lab":
            return queryset.exclude(experiment="")
        return queryset


def short_id(pk) -> str:
    return str(pk)[:8]


@admin.register(Order)
class OrderAdmin(LargeReadOnlyAdmin):
    list_display = ("short", "customer_name", "status", "style", "total", "created_at", "experiment")
    list_display_links = ("short",)
    list_filter = ("status", StyleFilter, PlacedByFilter)
    search_fields = ("=id", "customer_name", "=customer_email")  # for the search box; see search_q
    search_help_text = "Order id (or its first 6+ characters), customer name or e-mail."
    ordering = ("-created_at",)
    sortable_by = ("created_at",)
    fields = (
        ("id", "status", "style"),
        ("customer_name", "customer_email"),
        ("total", "paid_at"),
        "cancel_reason",
        "experiment",
        ("created_at", "updated_at"),
        "journal",
    )
    inlines = (OrderLineInline, OrderVendorInline, PaymentInline)

    def search_q(self, term):
        return any_of(uuid_lookup("id", term), Q(customer_name__icontains=term), Q(customer_email__iexact=term))

    @admin.display(description="order", ordering="created_at")
    def short(self, order):
        return short_id(order.pk)

    @admin.display(description="messages")
    def journal(self, order):
        return messaging_search_link("JournalEntry", str(order.pk), "this order's messages in the journal")


class OrderPartAdmin(LargeReadOnlyAdmin):
    """A row that belongs to an order: listed with a link to it, searched by the order's id."""

    list_select_related = ("order",)
    ordering = ("-id",)
    sortable_by = ("id",)
    search_fields = ("=order__id",)  # for the search box; see search_q
    search_help_text = "Order id (or its first 6+ characters)."

    def search_q(self, term):
        return uuid_lookup("order__id", term) or Q(pk__in=[])

    @admin.display(description="order")
    def order_link(self, row):
        return change_link(Order, row.order_id, short_id(row.order_id))


@admin.register(OrderLine)
class OrderLineAdmin(OrderPartAdmin):
    list_display = ("id", "order_link", "name", "vendor_name", "unit_price", "quantity")


@admin.register(OrderVendor)
class OrderVendorAdmin(OrderPartAdmin):
    list_display = ("id", "order_link", "vendor_name", "status", "acknowledged_at", "error")
    list_filter = ("status",)

    @admin.display(description="last error")
    def error(self, row):
        return truncated(row.last_error)


@admin.register(Payment)
class PaymentAdmin(OrderPartAdmin):
    list_display = ("reference", "order_link", "amount", "card_last4", "status", "created_at", "refunded_at")
    list_filter = ("status",)
    search_fields = ("=order__id", "=reference")
    search_help_text = "Order id (or its first 6+ characters) or payment reference."

    def search_q(self, term):
        return any_of(uuid_lookup("order__id", term), Q(reference=term))


@admin.register(CatalogProduct)
class CatalogProductAdmin(ReadOnlyAdmin):
    """Orders' copy of the vendors' products: written only by their events."""

    list_display = ("name", "vendor_name", "price", "stock", "revision", "lab", "updated_at", "product_id")
    list_filter = ("lab",)
    search_fields = ("name", "vendor_name")
    ordering = ("vendor_name", "name")


@admin.register(StoreSettings)
class StoreSettingsAdmin(admin.ModelAdmin):
    """One row, edited in place: the list goes straight to it, shown with the defaults while none is saved (as
    ``store_settings`` reads it); nothing to add, nothing to delete. Saving goes through ``store_settings_update``,
    journaled with the operator, as the dashboard's switch and ``store_style`` do."""

    form = StyleForm
    fields = ("style", "vendor_timeout_seconds", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_object(self, request, object_id, from_field=None):
        return store_settings()  # whichever id the address names: there is one row

    def changelist_view(self, request, extra_context=None):
        opts = self.opts
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[store_settings().pk or 1]))

    def save_model(self, request, obj, form, change):
        saved = store_settings_update(
            style=obj.style, vendor_timeout_seconds=obj.vendor_timeout_seconds, actor=admin_actor(request)
        )
        obj.pk, obj.updated_at = saved.pk, saved.updated_at
