"""Start-up checks: django-q2 timings that would hand a delivery out twice, orphan commands."""

from django.conf import settings
from django.core import checks

from messaging.runtime.conf import messaging_settings
from messaging.runtime.registry import registry


@checks.register()
def check_worker_timings(app_configs=None, **kwargs):
    errors = []
    q = settings.Q_CLUSTER
    timeout, retry = q.get("timeout"), q.get("retry", 60)
    if timeout is None or timeout >= retry:
        errors.append(
            checks.Error(
                f"Q_CLUSTER timeout ({timeout}) must be set and below retry ({retry})",
                hint="Otherwise django-q2 hands a running task to a second worker.",
                id="messaging.E001",
            )
        )
    longest = max((h.timeout for h in registry.handlers.values()), default=0)
    budget = messaging_settings().drain_seconds + longest
    if timeout is not None and budget >= timeout:
        errors.append(
            checks.Error(
                f"a worker task may run {budget:g}s (drain_seconds + the longest handler timeout, {longest:g}s), "
                f"not below Q_CLUSTER timeout ({timeout}s)",
                hint="Lower the handler's timeout or MESSAGING['drain_seconds'], or raise Q_CLUSTER timeout and retry.",
                id="messaging.E002",
            )
        )
    return errors


@checks.register()
def check_commands_have_handlers(app_configs=None, **kwargs):
    return [
        checks.Warning(f"command {name} has no handler: sending it will fail", id="messaging.W001")
        for name, message_type in registry.messages.items()
        if message_type.kind == "command" and name != "messaging.CommandOutcome" and not registry.subscribers.get(name)
    ]
