"""Probes for a load balancer or an orchestrator: is this web process alive (/healthz), may it take traffic (/readyz).

/healthz answers from the process alone: no database, no cache, no session or user (the middleware reads
those only when a view asks, and this one never does). /readyz asks messaging's readiness (the database,
the cache, django-q2's broker and the channel layer's Redis where they are servers of their own, a sweeper
seen within READY_SWEEPER_SEEN_SECONDS, the oldest due delivery younger than READY_OLDEST_DUE_SECONDS), each
dependency in a thread of its own and all within PROBE_SECONDS, so a dependency that hangs fails the probe
instead of holding it. 200 when every check passes, 503 otherwise; each check says what it saw, its limit
and, failing, why. Both answer GET and HEAD, unauthenticated, never cached.

A 503 here is an answer, not an error of the server: it is not logged as one (a probe every few seconds would
fill the log); the process logs when it becomes not ready, with why, and when it is ready again.
"""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from messaging import selectors

PROBE_SECONDS = 2.0  # /readyz answers within this, whatever its dependencies do

logger = logging.getLogger(__name__)
_failing: frozenset[str] | None = None  # the checks this process last saw failing, to log changes only


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    health = selectors.readiness(within=PROBE_SECONDS, redis=channel_layer_servers())
    _log_change(health)
    response = JsonResponse(health.as_json(), status=200 if health.ok else 503)
    response._has_been_logged = True  # Django's own mark: not "Service Unavailable" at ERROR every probe
    return response


def _log_change(health: selectors.Health) -> None:
    global _failing
    failing = frozenset(check.name for check in health.checks if not check.ok)
    if failing == _failing:
        return
    if failing:
        logger.warning("not ready: %s", "; ".join(health.breaches()))
    elif _failing:
        logger.info("ready again")
    _failing = failing


def channel_layer_servers() -> dict[str, str]:
    """The channel layer's Redis, by check name, when it is one (the dashboard's live stream goes through it)."""
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if not layer.get("BACKEND", "").startswith("channels_redis."):
        return {}
    hosts = layer.get("CONFIG", {}).get("hosts", [])
    urls = [host if isinstance(host, str) else host.get("address") for host in hosts if isinstance(host, str | dict)]
    return {f"channel_layer_{n}" if n else "channel_layer": url for n, url in enumerate(urls) if isinstance(url, str)}
