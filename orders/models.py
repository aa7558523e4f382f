import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class CatalogProduct(models.Model):
    """Orders' own read model of the vendors' products, fed only by vendor events."""

    product_id = models.PositiveIntegerField(primary_key=True, help_text="The vendor context's product id.")
    vendor_id = models.PositiveIntegerField()
    vendor_name = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    stock = models.PositiveIntegerField()
    revision = models.PositiveIntegerField()
    lab = models.BooleanField(default=False, help_text="A product of the trade-off lab's vendors: not on sale here.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vendor_name", "name"]

    def __str__(self):
        return f"{self.name} ({self.vendor_name})"


class StoreSettings(models.Model):
    """One row: how Orders tells Vendors about a paid order, and how long it waits for them."""

    class Style(models.TextChoices):
        EVENT = "event", "event: publish OrderPaid, Vendors subscribes"
        COMMAND = "command", "command: send NotifyVendor to each vendor"

    style = models.CharField(max_length=8, choices=Style.choices, default=Style.EVENT)
    vendor_timeout_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 3600)],
        help_text="A paid order whose vendors have not all accepted by then is cancelled and refunded.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "store settings"

    def __str__(self):
        return f"style: {self.style}, vendor timeout: {self.vendor_timeout_seconds}s"


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed"
        PAID = "paid"
        VENDOR_NOTIFIED = "vendor_notified", "vendor notified"
        ACCEPTED = "accepted"
        PREPARED = "prepared"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="Also its URL token.")
    customer_name = models.CharField(max_length=100)
    customer_email = models.EmailField(max_length=254)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLACED)
    style = models.CharField(max_length=8, blank=True, help_text="How Vendors was told, set at payment.")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    experiment = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The trade-off lab's run that placed it; empty for the shop's own orders.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="order_created"),
            models.Index(fields=["status"], name="order_status"),
            # Few orders are the lab's: the index holds only those, for reading one run's orders.
            models.Index(fields=["experiment", "created_at"], name="order_experiment", condition=~Q(experiment="")),
        ]

    def __str__(self):
        return f"Order {str(self.id)[:8]} ({self.status})"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_id = models.PositiveIntegerField()
    vendor_id = models.PositiveIntegerField()
    vendor_name = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "product_id"], name="one_line_per_product")]

    def __str__(self):
        return f"{self.quantity} x {self.name}"

    @property
    def subtotal(self):
        return self.unit_price * self.quantity


class OrderVendor(models.Model):
    """What Orders knows of one vendor's part in an order, as its messages come back."""

    class Status(models.TextChoices):
        WAITING = "waiting"  # paid, vendor not yet heard from
        NOTIFIED = "notified"
        ACCEPTED = "accepted"
        PREPARED = "prepared"
        REJECTED = "rejected"  # stock unavailable
        FAILED = "failed"  # command style: the NotifyVendor command failed for good

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="vendors")
    vendor_id = models.PositiveIntegerField()
    vendor_name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    command_id = models.UUIDField(null=True, blank=True, help_text="Command style: the NotifyVendor sent.")
    acknowledged_at = models.DateTimeField(null=True, blank=True, help_text="Command style: outcome received.")
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "vendor_id"], name="one_row_per_vendor")]

    def __str__(self):
        return f"{self.vendor_name}: {self.status}"


class Payment(models.Model):
    """A simulated card charge, and its refund."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        DECLINED = "declined"
        FAILED = "failed"  # transient: the customer may try again
        REFUNDED = "refunded"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    card_last4 = models.CharField(max_length=4)
    status = models.CharField(max_length=10, choices=Status.choices)
    reference = models.CharField(max_length=40, unique=True)
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(status__in=["succeeded", "refunded"]), name="charge_once"
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.amount} ({self.status})"
