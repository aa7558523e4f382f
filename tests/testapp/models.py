from django.db import models


class Effect(models.Model):
    """A handler's visible effect; unique so that a doubled effect fails loudly."""

    handler = models.CharField(max_length=100)
    key = models.CharField(max_length=100)
    attempt = models.PositiveIntegerField(default=0)
    correlation_id = models.CharField(max_length=64, blank=True)
    causation_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["handler", "key"], name="effect_once")]

    def __str__(self):
        return f"{self.handler}:{self.key}"
