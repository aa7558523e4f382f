"""A long-running messaging process's heartbeat: one row it updates every few seconds, read by the others."""

import os
import socket
import uuid

from messaging.models import ProcessHeartbeat
from messaging.runtime import clock


class Heartbeat:
    def __init__(self, kind: str):
        self.id = uuid.uuid4()
        self.kind = kind
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.started_at = clock.recent().now()  # on the database's clock, as its readers compare it

    def beat(self, state: str, **fields) -> None:
        """Write the row: ``state`` and whatever else the process reports (workers, busy, detail...)."""
        ProcessHeartbeat.objects.update_or_create(
            pk=self.id,
            defaults={
                "kind": self.kind,
                "host": self.host,
                "pid": self.pid,
                "state": state,
                "started_at": self.started_at,
                "beat_at": clock.recent().now(),
                **fields,
            },
        )
