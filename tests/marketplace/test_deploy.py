"""Production settings: the README's environment passes ``check --deploy``, a missing piece fails it by name,
and web processes borrow PostgreSQL connections from a pool while workers keep theirs.

Each case runs the real settings (not the tests') in a process of its own, with only the environment given.
"""

import importlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
POSTGRES_URL = "postgres://marketplace:secret@db.invalid:5432/marketplace"  # never reached: nothing connects


def readme_environment() -> dict[str, str]:
    """The environment file printed in the README's "Deploying" section, variable by variable."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n# /etc/marketplace/env\n(.*?)```", readme, re.DOTALL)
    assert block, "README.md prints no /etc/marketplace/env block"
    return dict(line.split("=", 1) for line in block.group(1).splitlines() if line and not line.startswith("#"))


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    """The README's environment, with a real key and a throwaway SQLite file in place of the servers."""
    return {
        **readme_environment(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "MARKETPLACE_VAR_DIR": str(tmp_path / "var"),
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``args`` under exactly ``env`` (no variable of this test run leaks in) and the project's own settings."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONUNBUFFERED": "1"}
    env = {**base, "DJANGO_SETTINGS_MODULE": "marketplace.settings", **env}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")


class TestCheckDeploy:
    def test_the_readme_environment_passes_with_no_warning(self, production_env):
        result = check_deploy(production_env)

        assert result.returncode == 0, result.stderr
        assert "no issues" in result.stdout

    @pytest.mark.parametrize(
        ("change", "warnings"),
        [
            ({"ALLOWED_HOSTS": ""}, ["security.W020"]),
            ({"BEHIND_TLS_PROXY": "0"}, ["security.W008", "security.W012", "security.W016"]),
            ({"SECURE_HSTS_SECONDS": "0"}, ["security.W004"]),
            ({"SECURE_HSTS_PRELOAD": "0"}, ["security.W021"]),
            ({"DEBUG": "1"}, ["security.W018"]),
            ({"SECRET_KEY": "short"}, ["security.W009"]),
            ({"SITE_URL": ""}, ["marketplace.W001"]),
        ],
        ids=["no-allowed-hosts", "no-tls-proxy", "no-hsts", "no-preload", "debug", "weak-key", "no-site-url"],
    )
    def test_a_missing_piece_fails_naming_it(self, production_env, change, warnings):
        result = check_deploy({**production_env, **change})

        assert result.returncode != 0
        for warning in warnings:
            assert warning in result.stderr

    def test_no_secret_key_stops_the_process_at_start(self, production_env):
        del production_env["SECRET_KEY"]

        result = check_deploy(production_env)

        assert result.returncode != 0
        assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def database_settings(env: dict[str, str], *, through_asgi: bool = False) -> dict:
    """The default database's settings (and, on PostgreSQL, its pool's sizes) as a process under ``env`` sees
    them; ``through_asgi`` loads them the way daphne does, through ``marketplace.asgi``."""
    load = "import marketplace.asgi" if through_asgi else "import django; django.setup()"
    script = f"""{load}
import importlib
import json
import os
from django.conf import settings
from django.db import connection
pool = connection.pool if connection.vendor == "postgresql" else None
print(json.dumps({{
    "process": settings.MARKETPLACE_PROCESS,
    "database": settings.DATABASES["default"],
    "pool": pool and {{"class": type(pool).__name__, "min": pool.min_size, "max": pool.max_size}},
    "environment": os.environ.get("MARKETPLACE_PROCESS"),
}}, default=str))
"""
    result = run(env, "-c", script)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class TestConnections:
    @pytest.fixture
    def env(self, production_env) -> dict[str, str]:
        return {**production_env, "DATABASE_URL": POSTGRES_URL}

    def test_a_web_process_on_postgresql_borrows_from_a_pool(self, env):
        seen = database_settings({**env, "MARKETPLACE_PROCESS": "web"})

        assert seen["database"]["CONN_MAX_AGE"] == 0
        assert seen["database"]["CONN_HEALTH_CHECKS"] is True
        assert seen["database"]["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 10.0}
        assert seen["pool"] == {"class": "ConnectionPool", "min": 2, "max": 8}

    def test_the_pool_is_sized_from_the_environment(self, env):
        sizes = {"DB_POOL_MIN_SIZE": "1", "DB_POOL_MAX_SIZE": "4", "DB_POOL_TIMEOUT": "2.5"}

        seen = database_settings({**env, "MARKETPLACE_PROCESS": "web", **sizes})

        assert seen["database"]["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 2.5}
        assert seen["pool"]["max"] == 4

    def test_the_asgi_entry_point_makes_a_web_process(self, env):
        seen = database_settings(env, through_asgi=True)

        assert seen["process"] == "web"
        assert "pool" in seen["database"]["OPTIONS"]
        assert seen["environment"] is None  # what it starts is not told it is a web process

    def test_a_process_started_after_the_asgi_entry_point_loaded_is_a_worker(self, monkeypatch):
        # the test process itself: settings are loaded, and daphne-based tests import the entry point
        monkeypatch.delenv("MARKETPLACE_PROCESS", raising=False)
        importlib.reload(importlib.import_module("marketplace.asgi"))

        assert "MARKETPLACE_PROCESS" not in os.environ

    def test_a_worker_keeps_a_persistent_connection(self, env):
        seen = database_settings(env)

        assert seen["process"] == "worker"
        assert seen["database"]["CONN_MAX_AGE"] == 600
        assert "pool" not in seen["database"]["OPTIONS"]
        assert seen["pool"] is None

    def test_sqlite_is_the_same_for_web_and_worker(self, production_env):
        web = database_settings({**production_env, "MARKETPLACE_PROCESS": "web"})
        worker = database_settings(production_env)

        assert web["database"] == worker["database"]
        assert web["database"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "pool" not in web["database"]["OPTIONS"]

    def test_an_unknown_process_kind_is_refused(self, env):
        result = run({**env, "MARKETPLACE_PROCESS": "daphne"}, "-c", "import django; django.setup()")

        assert result.returncode != 0
        assert "MARKETPLACE_PROCESS='daphne' is neither 'web' nor 'worker'" in result.stderr
