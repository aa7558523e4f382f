"""The database's clock, the one every host agrees on.

Due times and lease expiries are written by one host and compared by another.
Read from each host's own clock they disagree by the hosts' skew: a host ahead
claims deliveries not yet due and takes live leases for expired ones, a host
behind writes leases that are over before they begin. So the times that decide
who may run what are read from the database: on PostgreSQL its
``statement_timestamp()``, read once and kept as an offset from the host's
clock, so a worker's batch computes its later renewals without asking again.
Publishing, on the hot path, asks at most every ``READING_LIFETIME`` seconds
(``recent``). SQLite runs on the host: its clock is the host's.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic

from django.db import connection
from django.utils import timezone

READING_LIFETIME = 5.0  # seconds a reading of the database's clock serves ``recent`` before it is read again


@dataclass(frozen=True)
class Clock:
    """The database's clock as this host reads it: its own, corrected by the offset measured at a reading."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return timezone.now() + self.offset


HOST = Clock()


def database() -> Clock:
    """Read the database's clock (one query on PostgreSQL; none on SQLite, whose clock is the host's)."""
    if connection.vendor != "postgresql":
        return HOST
    return read_as(_database_time())


def read_as(database_time: datetime) -> Clock:
    """The database's clock from its time just read (by a statement that returned it with its rows)."""
    return Clock(offset=database_time - timezone.now())


def now() -> datetime:
    """The database's time now."""
    return database().now()


_reading: tuple[float, datetime] | None = None  # (this host's monotonic clock, the database's time) at the last reading


def recent() -> Clock:
    """The database's clock from a reading at most ``READING_LIFETIME`` seconds old (a query at most that often).

    The reading is carried forward on the host's monotonic clock, not its wall clock, so a host whose wall
    clock is stepped meanwhile still tells the database's time. It lags the database by the reading's
    return trip, a millisecond or so: a time written from it is never ahead of the database's.
    """
    global _reading
    if connection.vendor != "postgresql":
        return HOST
    reading = _reading
    if reading is None or monotonic() - reading[0] > READING_LIFETIME:
        database_time = _database_time()
        reading = _reading = (monotonic(), database_time)
    read_at, database_time = reading
    return Clock(offset=database_time + timedelta(seconds=monotonic() - read_at) - timezone.now())


def _database_time() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        (at,) = cursor.fetchone()
    return at
