from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class Vendor(models.Model):
    class Kind(models.TextChoices):
        SUPERMARKET = "supermarket"
        STORE = "store"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.STORE)
    active = models.BooleanField(default=True)
    lab = models.BooleanField(
        default=False, help_text="One of the trade-off lab's vendors: its products are kept out of the storefront."
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="vendors", help_text="Users who work for this vendor."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} (lab)" if self.lab else self.name


class Product(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0.01)])
    stock = models.PositiveIntegerField(default=0)
    revision = models.PositiveIntegerField(default=1, help_text="Grows with every published change.")

    class Meta:
        ordering = ["vendor", "name"]
        constraints = [models.UniqueConstraint(fields=["vendor", "name"], name="product_name_per_vendor")]

    def __str__(self):
        return f"{self.name} ({self.vendor})"


class VendorNotification(models.Model):
    """A vendor was told about a paid order: exactly one per (vendor, order), whatever the style."""

    class Status(models.TextChoices):
        NOTIFIED = "notified"  # stock reserved, waiting for staff to accept
        ACCEPTED = "accepted"
        PREPARED = "prepared"
        REJECTED = "rejected"  # stock unavailable: nothing reserved
        CANCELLED = "cancelled"  # the order was cancelled: reservation released

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="notifications")
    order_id = models.UUIDField(help_text="The order, by id: it lives in another context.")
    lines = models.JSONField(help_text="[{product_id, quantity}] as notified.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NOTIFIED)
    via = models.CharField(max_length=8, help_text="How Orders told us: event or command.")
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was rejected or cancelled.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["vendor", "order_id"], name="notify_vendor_once")]
        indexes = [models.Index(fields=["order_id"], name="notification_order")]

    def __str__(self):
        return f"{self.vendor} ← order {self.order_id} ({self.status})"


class CancelledOrder(models.Model):
    """An order Orders cancelled: a notification of it that arrives late (a retry, the other style) reserves nothing."""

    order_id = models.UUIDField(primary_key=True, help_text="The order, by id: it lives in another context.")
    reason = models.CharField(max_length=200)
    cancelled_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"order {self.order_id} cancelled: {self.reason}"
