"""Baseline for bench/dashboard_lag.py: the dashboard's fan-out without the journal.

    daphne bench.dashboard_echo:application

Clients connect to ``/ws/echo/``. A client that sends ``{"start": {"rate": R, "seconds": S, "interval": I}}``
starts a generator in this process that produces R entries a second (entry i is "written" at t0 + i/R, the
time in its ``detail``), and every I seconds sends those produced so far as one frame, serialised once with the
dashboard's own code, through the same in-memory channel layer group to every connected client. The same frames,
clients and batching as the real stream, but no database, no commit and no poll: the lag left is daphne's
and Channels' own.
"""

import asyncio
import json
import os
import time

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
get_asgi_application()  # sets Django up

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402

from marketplace.dashboard import protocol  # noqa: E402
from marketplace.dashboard.consumers import DashboardConsumer  # noqa: E402
from marketplace.dashboard.tail import Batch, message  # noqa: E402

GROUP = "dashboard.echo"
_generator: asyncio.Task | None = None


def fake_row(seq: int, written_at: float) -> dict:
    """An entry shaped like the writer's in bench/dashboard_lag.py."""
    return {
        "seq": seq,
        "at": timezone.now(),
        "message_id": None,
        "kind": "event",
        "type": "bench.Tick",
        "step": "published",
        "handler": "",
        "attempt": None,
        "correlation_id": "bench-writer",
        "causation_id": "",
        "context": "bench",
        "duration_ms": None,
        "actor": "bench",
        "detail": f"{written_at:.6f}",
    }


async def generate(rate: float, seconds: float, interval: float) -> None:
    layer = get_channel_layer()
    start = time.time()
    sent = 0
    while True:
        await asyncio.sleep(interval)
        now = time.time()
        due = int((min(now, start + seconds) - start) * rate)
        if due > sent:
            rows = [fake_row(seq, start + seq / rate) for seq in range(sent + 1, due + 1)]
            await layer.group_send(GROUP, message(Batch(sent, due, len(rows), protocol.entries_frame(rows))))
            sent = due
        if now >= start + seconds:
            return


class EchoConsumer(AsyncWebsocketConsumer):
    dispatch = DashboardConsumer.dispatch  # the same lean dispatch (no database here at all)

    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()
        await self.send(text_data=protocol.live_frame())

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        global _generator
        frame = json.loads(text_data)
        if "start" in frame and (_generator is None or _generator.done()):
            _generator = asyncio.get_running_loop().create_task(generate(**frame["start"]))

    async def journal_entries(self, event):
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/echo/", EchoConsumer.as_asgi())])})
