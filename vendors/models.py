from django.db import models


class Vendor(models.Model):
    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class VendorNotification(models.Model):
    """A vendor was told about a paid order: at most once per (vendor, order)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="notifications")
    order_id = models.UUIDField(help_text="The order, by id: it lives in another context.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "order_id"], name="notify_vendor_once")]

    def __str__(self):
        return f"{self.vendor} ← order {self.order_id}"
