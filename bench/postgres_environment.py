"""A throw-away database on a PostgreSQL server, shared by this process and its clusters.

As ``bench/environment.py`` does with SQLite: the database is migrated once and
kept as a template; every phase starts from a fresh copy of it (``CREATE
DATABASE ... TEMPLATE``), so no phase sees another's rows. Both databases are
dropped at the end unless kept. Given ``redis_url``, the processes use the
Redis broker and cache (the scale-out settings) instead of the ORM broker.
"""

import os
import urllib.parse

from bench.environment import Environment

SCHEMES = ("postgres", "postgresql", "pgsql")


def check_server_url(url: str) -> None:
    """Refuse anything but a PostgreSQL URL, before anything is started."""
    scheme = urllib.parse.urlparse(url).scheme
    if scheme not in SCHEMES:
        raise ValueError(f"not a PostgreSQL URL ({scheme or 'no scheme'}): {url!r}")


class PostgresEnvironment(Environment):
    def __init__(
        self,
        *,
        server_url: str,
        workers: int,
        keep: bool,
        debug: bool = False,
        redis_url: str = "",
        template: str | None = None,
    ):
        check_server_url(server_url)
        self.server_url = server_url
        self.name = f"marketplace_bench_{os.getpid()}"
        self.owns_template = template is None  # a child process borrows its parent's template
        self.template = template or f"{self.name}_template"
        super().__init__(workers=workers, keep=keep, debug=debug)
        if redis_url:
            os.environ["REDIS_URL"] = redis_url

    def database_url(self) -> str:
        return self._url(self.name)

    def setup(self) -> None:
        if self.owns_template:
            self._admin(f"CREATE DATABASE {self.name}")
            super().setup()
        else:
            import django

            self.restore_template()
            django.setup()

    def save_template(self) -> None:
        self._admin(f"CREATE DATABASE {self.template} TEMPLATE {self.name}")

    def restore_template(self) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {self.name} TEMPLATE {self.template}")

    def cleanup(self) -> None:
        self._close_connections()
        if self.keep:
            print(f"kept databases {self.name} and {self.template} on {self._url('')}")
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            if self.owns_template:
                self._admin(f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)")
        super().cleanup()

    def admin_url(self) -> str:
        """The server's own database, for statistics that must not hold a connection to the bench database."""
        return self._url("postgres")

    def _url(self, database: str) -> str:
        return urllib.parse.urlparse(self.server_url)._replace(path=f"/{database}").geturl()

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url(), autocommit=True) as connection:
            connection.execute(sql)

    @staticmethod
    def _close_connections() -> None:
        from django.db import connections

        connections.close_all()
