"""Every statement SQLite is sent, including BEGIN/COMMIT/SAVEPOINT that Django's query log misses."""

import re
from collections import Counter
from contextlib import contextmanager

from django.db import connection

TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


DEBUG_QUOTE = "SELECT QUOTE(...) (DEBUG only: Django logging the SQL)"


def _kind(sql: str) -> str:
    verb = sql.split(None, 1)[0].upper()
    if sql.startswith("SELECT QUOTE("):
        return DEBUG_QUOTE
    if verb not in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
        return verb
    # The statement's own table: the first FROM/INTO/UPDATE outside parentheses (not a subquery's).
    for match in TABLE.finditer(sql):
        before = sql[: match.start()]
        if before.count("(") == before.count(")"):
            return f"{verb} {match.group(1)}"
    return verb


class StatementLog:
    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)

    def by_kind(self) -> Counter:
        """BEGIN, COMMIT, SELECT django_q_ormq, UPDATE messaging_delivery, ..."""
        return Counter(_kind(sql) for sql in self.statements)

    @property
    def debug_only(self) -> int:
        return sum(1 for sql in self.statements if _kind(sql) == DEBUG_QUOTE)

    @property
    def transactions(self) -> int:
        return sum(1 for sql in self.statements if sql.upper().startswith("BEGIN"))

    @property
    def commits(self) -> int:
        return sum(1 for sql in self.statements if sql.upper().startswith("COMMIT"))


@contextmanager
def traced():
    """Log statements on the default connection (SQLite only)."""
    log = StatementLog()
    connection.ensure_connection()
    raw = connection.connection
    raw.set_trace_callback(log.statements.append)
    try:
        yield log
    finally:
        raw.set_trace_callback(None)
