"""The outbox (messages and their deliveries), the journal, and operating state.

A ``Message`` is written once and never changed. Each handler that must see it
gets one ``Delivery``: the unit of work, with its own status, attempts, lease
and errors. ``JournalEntry`` rows record every step, in commit order.
"""

import uuid

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    COMMAND = "command"
    EVENT = "event"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    type = models.CharField(max_length=120)
    version = models.PositiveSmallIntegerField(default=1)
    context = models.CharField(max_length=40, help_text="The context that owns the message type.")
    payload = models.JSONField()
    correlation_id = models.CharField(max_length=64)
    causation_id = models.CharField(max_length=64, blank=True)
    reply_to = models.CharField(max_length=200, blank=True, help_text="Reply handler for a command's outcome.")
    created_at = models.DateTimeField()
    not_before = models.DateTimeField(null=True, blank=True)
    signature = models.CharField(max_length=64)
    # A default in the database too: a process of the release before (a rolling deploy), or any tool inserting
    # messages without this column, still writes a message.
    traceparent = models.CharField(
        max_length=55,
        blank=True,
        default="",
        db_default="",
        help_text="The W3C trace context it was written in, when tracing is on.",
    )

    class Meta:
        indexes = [
            models.Index(fields=["correlation_id"], name="message_correlation"),
            models.Index(fields=["causation_id"], name="message_causation"),
            models.Index(fields=["type", "created_at"], name="message_type_created"),
            models.Index(fields=["created_at"], name="message_created"),
            models.Index(fields=["kind", "created_at"], name="message_kind_created"),
            models.Index(fields=["context", "created_at"], name="message_context_created"),
        ]

    def __str__(self):
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # waiting for its first attempt (or for not_before)
    RUNNING = "running"  # leased by a worker
    FAILED = "failed"  # an attempt failed; a retry is scheduled at available_at
    SUCCEEDED = "succeeded"
    DEAD = "dead"  # dead-lettered: no more automatic attempts


WAITING_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class Delivery(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    context = models.CharField(max_length=40, help_text="The context the handler belongs to.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=0, help_text="From the policy at the last failure.")
    available_at = models.DateTimeField(help_text="Not claimed before this time.")
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True, help_text="A command handler's return value.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["message", "handler"], name="one_delivery_per_handler"),
            # A row with any other status would never be claimed, recovered or shown: refuse it.
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="delivery_status_is_known"),
        ]
        permissions = [
            ("retry_delivery", "Can retry dead-lettered deliveries"),
            ("replay_delivery", "Can replay finished deliveries"),
        ]
        indexes = [
            # The claim query: due work in order; partial so it stays small.
            models.Index(
                fields=["available_at"],
                name="delivery_due",
                condition=Q(status__in=WAITING_STATUSES),
            ),
            models.Index(
                fields=["lease_expires_at"],
                name="delivery_leased",
                condition=Q(status=DeliveryStatus.RUNNING),
            ),
            models.Index(fields=["status", "handler"], name="delivery_status_handler"),
            models.Index(fields=["status", "context"], name="delivery_status_context"),
            models.Index(fields=["status", "id"], name="delivery_status_id"),
        ]

    def __str__(self):
        return f"{self.handler} ← {self.message_id} ({self.status})"


class DeadLetterManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status=DeliveryStatus.DEAD)


class DeadLetter(Delivery):
    """A dead-lettered delivery: no more automatic attempts, waiting for an operator."""

    objects = DeadLetterManager()

    class Meta:
        proxy = True


class Step(models.TextChoices):
    PUBLISHED = "published"
    SENT = "sent"
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRY_SCHEDULED = "retry_scheduled", "retry scheduled"
    DEAD_LETTERED = "dead_lettered", "dead-lettered"
    RETRIED = "retried", "retried by hand"
    REPLAYED = "replayed"
    ARCHIVED = "archived", "dead letter archived"  # an operator took it out of the outbox
    PAUSED = "paused"
    RESUMED = "resumed"
    BREAKER_OPENED = "breaker_opened", "breaker opened"
    BREAKER_CLOSED = "breaker_closed", "breaker closed"
    CONTROL = "control"  # an operator's change of operating state (style switch, fault lab)
    # The watchdog: a cluster that stopped taking work and was restarted, one whose heartbeats stopped,
    # due work that nothing ran (the sweeper runs it meanwhile), and the end of that.
    CLUSTER_RESTARTED = "cluster_restarted", "cluster restarted"
    CLUSTER_SILENT = "cluster_silent", "cluster silent"
    STALLED = "stalled"
    RECOVERED = "recovered"


class JournalEntry(models.Model):
    """One step of one message, appended in the transaction of the step itself."""

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    step = models.CharField(max_length=20, choices=Step.choices)
    message_id = models.UUIDField(null=True, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, blank=True)
    type = models.CharField(max_length=120, blank=True)
    context = models.CharField(max_length=40, blank=True)
    handler = models.CharField(max_length=200, blank=True)
    attempt = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    causation_id = models.CharField(max_length=64, blank=True)
    actor = models.CharField(max_length=120, blank=True, help_text="Who caused the step: worker, sweeper, a user…")
    detail = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "journal entries"
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["correlation_id", "seq"], name="journal_correlation"),
            models.Index(fields=["message_id", "seq"], name="journal_message"),
            models.Index(fields=["type", "seq"], name="journal_type"),
            models.Index(fields=["step", "seq"], name="journal_step"),
            models.Index(fields=["kind", "seq"], name="journal_kind"),
            models.Index(fields=["context", "seq"], name="journal_context"),
            models.Index(fields=["at"], name="journal_at"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.step} {self.type}"


class BreakerState(models.TextChoices):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open", "half-open"


class CircuitBreaker(models.Model):
    """Per destination context: opens after consecutive failures, then probes."""

    context = models.CharField(max_length=40, primary_key=True)
    state = models.CharField(max_length=10, choices=BreakerState.choices, default=BreakerState.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.context}: {self.state}"

    def blocks(self, now) -> bool:
        return self.state != BreakerState.CLOSED and self.open_until is not None and self.open_until > now

    def awaits_probe(self, now) -> bool:
        return self.state != BreakerState.CLOSED and not self.blocks(now)


class FaultSetting(models.Model):
    """Fault lab settings for one destination context (see messaging/runtime/faults.py)."""

    context = models.CharField(max_length=40, primary_key=True)
    unavailable = models.BooleanField(default=False, help_text="Every handler of the context fails, transiently.")
    latency_ms = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(30_000)], help_text="Added before each handler runs."
    )
    failure_rate = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], help_text="Percent of attempts that fail, transiently."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(failure_rate__lte=100), name="failure_rate_is_a_percentage"),
            models.CheckConstraint(condition=Q(latency_ms__lte=30_000), name="latency_at_most_30s"),
        ]

    def __str__(self):
        return f"{self.context}: " + (", ".join(self.describe()) or "healthy")

    @property
    def is_active(self) -> bool:
        return self.unavailable or self.latency_ms > 0 or self.failure_rate > 0

    def describe(self) -> list[str]:
        parts = ["unavailable"] if self.unavailable else []
        if self.latency_ms:
            parts.append(f"+{self.latency_ms} ms")
        if self.failure_rate:
            parts.append(f"{self.failure_rate}% failures")
        return parts


class HandlerState(models.Model):
    """Whether one handler is paused: a paused handler's deliveries wait. No row: running."""

    handler = models.CharField(max_length=200, primary_key=True)
    paused = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "handler state"

    def __str__(self):
        return f"{self.handler} ({'paused' if self.paused else 'active'})"


class ProcessKind(models.TextChoices):
    CLUSTER = "cluster"  # a supervised django-q2 cluster (manage.py qcluster)
    SWEEPER = "sweeper"  # manage.py messaging_sweeper


class ProcessState(models.TextChoices):
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"  # its django-q2 cluster stopped taking work and is being replaced
    STOPPING = "stopping"
    STOPPED = "stopped"  # said so itself, on its way out
    SILENT = "silent"  # its heartbeats stopped: killed, frozen or cut off (noticed by a sweeper)


class ProcessHeartbeat(models.Model):
    """A long-running messaging process, as it last reported itself (see messaging/processes/supervisor.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=ProcessKind.choices)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=ProcessState.choices, default=ProcessState.STARTING)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(help_text="Its last heartbeat.")
    workers = models.PositiveSmallIntegerField(default=0, help_text="Worker processes alive.")
    busy = models.PositiveSmallIntegerField(default=0, help_text="Workers running a task.")
    queued = models.PositiveIntegerField(default=0, help_text="Wake-ups taken from the broker, not yet by a worker.")
    last_task_at = models.DateTimeField(null=True, blank=True, help_text="When one of its workers last took a task.")
    restarts = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True, help_text="Why it was last restarted or declared silent.")

    class Meta:
        indexes = [models.Index(fields=["kind", "beat_at"], name="heartbeat_kind_beat")]

    def __str__(self):
        return f"{self.kind} {self.host}:{self.pid} ({self.state})"


class WatchdogState(models.Model):
    """One row: whether due work is stalled (nothing ran it for a while), shared by every sweeper."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    stalled_since = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"stalled since {self.stalled_since}" if self.stalled_since else "flowing"
