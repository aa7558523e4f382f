"""A throw-away SQLite database in a temp dir, shared by this process and the cluster.

Every phase starts from a copy of the freshly migrated database, so no phase
sees another's rows (left-over wake-ups, deliveries, journal entries).
``bench/postgres_environment.py`` does the same on a PostgreSQL server.
"""

import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "db.sqlite3"
TEMPLATE_NAME = "migrated.sqlite3"


class Environment:
    def __init__(self, *, workers: int, keep: bool, debug: bool = True):
        self.dir = Path(tempfile.mkdtemp(prefix="marketplace-bench-"))
        self.keep = keep
        self.db = self.dir / DB_NAME
        self.traces = self.dir / "traces"
        self.traces.mkdir()
        os.environ.update(
            {
                "MARKETPLACE_VAR_DIR": str(self.dir),
                "DATABASE_URL": self.database_url(),
                "DEBUG": "1" if debug else "0",
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "Q_WORKERS": str(workers),
                "BENCH_TRACE_DIR": str(self.traces),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
                "PYTHONUNBUFFERED": "1",
            }
        )
        os.environ.pop("REDIS_URL", None)  # the embedded default: SQLite and the ORM broker
        os.environ.pop("SECRET_KEY", None)  # DEBUG keeps one in the temp dir, shared with the cluster
        if not debug:
            os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))

    def database_url(self) -> str:
        return f"sqlite:///{self.db}"

    def setup(self) -> None:
        """Start Django here, migrate, and keep the migrated database as the template."""
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        self._close_connections()
        self.save_template()

    def save_template(self) -> None:
        shutil.copyfile(self.db, self.dir / TEMPLATE_NAME)

    def restore_template(self) -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.dir / TEMPLATE_NAME, self.db)

    def reset(self) -> None:
        """Back to the freshly migrated database and empty traces (no cluster may be running)."""
        self._close_connections()
        self.restore_template()
        for trace in self.traces.iterdir():
            trace.unlink()

    def cleanup(self) -> None:
        self._close_connections()
        if self.keep:
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _close_connections() -> None:
        from django.db import connection, connections

        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connections.close_all()
