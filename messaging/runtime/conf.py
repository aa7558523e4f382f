"""Messaging tunables, read from ``settings.MESSAGING`` with these defaults."""

from dataclasses import dataclass, fields
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed


@dataclass(frozen=True)
class MessagingSettings:
    handler_timeout: float = 10.0  # default seconds before a handler is stopped
    lease_grace: float = 5.0  # lease = handler timeout + grace
    drain_seconds: float = 5.0  # a worker task stops claiming new work after this
    claim_batch: int = 10  # deliveries leased per claim transaction, at most
    # Deliveries share a commit for up to this long (fewer, larger commits); 0: each commits alone.
    group_commit_seconds: float = 0.02
    sweep_interval: float = 2.0  # seconds between sweeps
    breaker_threshold: int = 5  # consecutive failures that open a context's breaker
    breaker_cooldown: float = 10.0  # seconds an open breaker waits before one probe (a context back up waits no longer)
    max_payload_bytes: int = 64 * 1024  # a bigger payload is refused at publish, dead-lettered if found stored
    stop_grace: float = 10.0  # seconds a stopping cluster gives its deliveries in hand before it kills them
    heartbeat_interval: float = 1.0  # seconds between a supervisor's looks at its cluster (and heartbeats)
    wedge_after: float = 5.0  # wake-ups waiting this long with every worker idle: the cluster is wedged
    silent_after: float = 15.0  # a process whose heartbeat is older than this is declared silent
    stall_after: float = 20.0  # due work this old, and no worker took a task for as long: stalled


def group_commit_seconds() -> float:
    return messaging_settings().group_commit_seconds


@cache
def messaging_settings() -> MessagingSettings:
    configured = getattr(settings, "MESSAGING", {})
    known = {f.name for f in fields(MessagingSettings)}
    if unknown := set(configured) - known:
        raise ImproperlyConfigured(f"unknown MESSAGING settings {sorted(unknown)}; known: {sorted(known)}")
    return MessagingSettings(**configured)


def _reload(*, setting, **kwargs):
    if setting == "MESSAGING":
        messaging_settings.cache_clear()


setting_changed.connect(_reload)
