"""How far a resuming reader may read the journal: the horizon below which no row can still appear.

A row's ``seq`` is taken at insert, its visibility comes at commit, and writers
do not wait for each other: so rows with a smaller ``seq`` may still be on
their way when larger ones are visible. A reader that remembers only "the last
seq I saw" must therefore never read past a row that is still uncommitted.

On PostgreSQL each journal-writing transaction holds a shared advisory lock
until it ends, taken before its rows get a ``seq`` (``journal.append``). A
reader notes a *checkpoint*: the last ``seq`` handed out, then the writers
holding that lock. Once every one of them has ended, each row up to that
``seq`` is committed or never will be, so the checkpoint becomes the horizon.
Readers keep the checkpoints not yet passed and advance to the newest one
whose writers are all gone: a long transaction delays readers, it never makes
them skip a row. Nothing here takes a lock or writes.

SQLite has one writer at a time: whatever a reader sees is final, so the horizon is the last ``seq``.
"""

import threading
from collections import deque

from django.db import connection
from django.db.models import Max

from messaging.models import JournalEntry
from messaging.runtime.journal import JOURNAL_WRITERS_KEY

MAX_CHECKPOINTS = 1000  # past this (a very long transaction) checkpoints are merged: slower, never wrong

_OPEN_WRITERS = """
    SELECT virtualtransaction FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = %s AND objsubid = 1
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND pid <> pg_backend_pid()
"""


class Horizon:
    """The readable horizon of one process's readers (thread-safe, shared)."""

    def __init__(self):
        self._checkpoints: deque[tuple[int, frozenset[str]]] = deque()
        self._safe = 0
        self._lock = threading.Lock()
        self._sequence: str | None = None

    def safe_seq(self) -> int:
        """The highest seq up to which the journal is final: read ``seq <= safe_seq()``."""
        if connection.vendor != "postgresql":
            return JournalEntry.objects.aggregate(last=Max("seq"))["last"] or 0
        with self._lock:
            issued = self._last_issued()
            writers = self._open_writers()  # after reading ``issued``: every writer of a row up to it is here
            self._checkpoint(issued, writers)
            while self._checkpoints and not (self._checkpoints[0][1] & writers):
                self._safe = self._checkpoints.popleft()[0]
            return self._safe

    def _checkpoint(self, issued: int, writers: frozenset[str]) -> None:
        if self._checkpoints and len(self._checkpoints) >= MAX_CHECKPOINTS:
            _, last_writers = self._checkpoints.pop()
            writers = writers | last_writers  # passed once both sets have ended: the older one with it
        self._checkpoints.append((issued, writers))

    def _last_issued(self) -> int:
        with connection.cursor() as cursor:
            if self._sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'seq')", [JournalEntry._meta.db_table])
                self._sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {self._sequence}")  # a name from the catalogue
            last_value, is_called = cursor.fetchone()
        return last_value if is_called else last_value - 1

    def _open_writers(self) -> frozenset[str]:
        with connection.cursor() as cursor:
            cursor.execute(_OPEN_WRITERS, [JOURNAL_WRITERS_KEY >> 32, JOURNAL_WRITERS_KEY & 0xFFFFFFFF])
            return frozenset(row[0] for row in cursor.fetchall())


_horizon = Horizon()


def journal_horizon() -> Horizon:
    """This process's horizon, shared by its readers."""
    return _horizon
