"""Whether messaging can work here and keeps up: what a readiness probe reads.

    health = selectors.readiness(within=2.0)  # database, cache, Redis, a sweeper seen, the oldest due delivery
    health.ok, health.as_json()                # {"status": "fail", "checks": {"sweeper": {...}, ...}}

Each check says what it saw, its limit and, failing, why, in one line. The limits come from
READY_SWEEPER_SEEN_SECONDS and READY_OLDEST_DUE_SECONDS, the same ``messaging_status --check`` applies.
"""

from messaging.operations import health, health_checks
from messaging.operations.health import Health


def readiness(*, within: float | None = None, redis: dict[str, str] | None = None) -> Health:
    """Database, cache, django-q2's broker, a sweeper seen, the oldest due delivery; ``redis``: more servers to ping.

    ``within``: each dependency is asked in a thread of its own and waited for that many seconds at most (a
    probe that must answer in time); by default they are asked one after the other, in this thread.
    """
    dependencies = health_checks.readiness(health.limits(), redis=redis)
    return health.checked(dependencies) if within is None else health.answered_within(dependencies, within)


__all__ = ["Health", "readiness"]
