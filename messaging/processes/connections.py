"""Long-running loops and their database connection: drop a broken one, so the next query opens a fresh one.

A persistent connection that broke (the database restarted, a network cut) stays
broken until closed. A loop that catches the error and goes on must close it;
one that starts a round closes it if it errored or aged. Never inside a
transaction the loop does not own (a caller's, a test's): that one is left alone.
"""

from django import db
from django.db import connection


def refresh() -> None:
    """Before a round of work: close connections that errored or outlived CONN_MAX_AGE."""
    if not connection.in_atomic_block:
        db.close_old_connections()


def drop() -> None:
    """After a database error: close every connection of this thread, broken or not."""
    if not connection.in_atomic_block:
        db.connections.close_all()
