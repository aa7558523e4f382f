"""The project's own settings plus a bench-only context with a no-op subscriber.

Q_CLUSTER, MESSAGING, the database options and logging stay the project's, so
the benchmark measures what production runs.
"""

from marketplace.settings import *  # noqa: F403
from marketplace.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]
