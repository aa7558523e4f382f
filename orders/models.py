import uuid

from django.db import models


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed"
        PAID = "paid"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer_name = models.CharField(max_length=100)
    vendor_ids = models.JSONField(default=list, help_text="Vendors (by id: another context) with goods in the order.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLACED)
    notified_vendor_ids = models.JSONField(default=list)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Order {self.id} ({self.status})"
