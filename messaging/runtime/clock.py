"""The database's clock, the one every host agrees on.

Due times and lease expiries are written by one host and compared by another.
Read from each host's own clock they disagree by the hosts' skew: a host ahead
claims deliveries not yet due and takes live leases for expired ones, a host
behind writes leases that are over before they begin. So the times that decide
who may run what are read from the database: on PostgreSQL its
``statement_timestamp()``, read once and kept as an offset from the host's
clock, so a worker's batch computes its later renewals without asking again.
SQLite runs on the host: its clock is the host's.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone


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
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        (at,) = cursor.fetchone()
    return Clock(offset=at - timezone.now())


def now() -> datetime:
    """The database's time now."""
    return database().now()
