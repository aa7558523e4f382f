"""Test settings: the project's own, plus a test-only context with controllable handlers."""

import atexit
import os
import shutil
import sys
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret-" + "x" * 40)
if "pytest" in sys.modules:
    # The test run never traces because a shell asked for it: a test that wants spans installs a provider of its
    # own, or passes OTEL_* variables to the processes it starts (tests/messaging/test_tracing.py). Those
    # processes load these settings too, without pytest.
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        del os.environ[name]
    # Metrics are recorded only where a test asks (override_settings(METRICS_TOKEN=...) here, METRICS_TOKEN in the
    # env of the processes it starts), into files of this run's own that those processes inherit. Set before
    # prometheus-client is first imported: it reads the directory then.
    os.environ.pop("METRICS_TOKEN", None)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="marketplace-test-metrics-")
    atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

from marketplace.settings import *  # noqa: F403
from marketplace.settings import INSTALLED_APPS, LOGGING, STORAGES

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
# Serve static files from the finders: tests do not run collectstatic.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# Short timings so retries, leases and breakers play out in seconds.
MESSAGING = {
    "handler_timeout": 5.0,
    "lease_grace": 1.0,
    "sweep_interval": 0.3,
    "breaker_threshold": 5,
    "breaker_cooldown": 2.0,
}
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": os.environ.get("LOG_LEVEL", "WARNING")}}
MESSAGING.update(
    {
        "heartbeat_interval": 0.5,
        "wedge_after": 3.0,
        "silent_after": 5.0,
        "stall_after": 8.0,
        "stop_grace": 8.0,
    }
)
