"""One experiment: what was asked, how far it got, and what it measured."""

from django.db import models


class Experiment(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"
        INTERRUPTED = "interrupted"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # True while queued or running, NULL after: the unique constraint lets one experiment run at a time.
    active = models.BooleanField(null=True, default=True, editable=False)
    actor = models.CharField(max_length=150, help_text="Who started it: cli:<login> or user:<username>.")
    parameters = models.JSONField(help_text="Scenarios, orders, rate, seed, schedule and each scenario's settings.")
    progress = models.JSONField(default=dict, blank=True, help_text="Where the run is, updated as it goes.")
    results = models.JSONField(default=dict, blank=True, help_text="Per scenario: the measured rows and findings.")
    error = models.TextField(blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True, help_text="The process running it.")
    stop_requested_by = models.CharField(
        max_length=150, blank=True, help_text="Who asked it to stop: the runner stops at its next look."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["active"], name="one_experiment_at_a_time")]

    def __str__(self):
        return f"Experiment {self.pk} ({', '.join(self.scenarios)}; {self.status})"

    @property
    def scenarios(self) -> list[str]:
        return list(self.parameters.get("scenarios", []))

    @property
    def done(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.FAILED, self.Status.INTERRUPTED)

    def tag(self, scenario: str, style: str) -> str:
        """The tag of the orders it places for ``scenario`` in ``style``: kept apart from the shop's own figures."""
        return f"lab-{self.pk}:{scenario}:{style}"
