"""Test settings: the project's own, plus a test-only context with controllable handlers."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret-" + "x" * 40)

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
