"""Dashboard clients for benchmarks: many websocket clients in one asyncio loop, each as the browser's.

Each ``Follower`` reads every frame, records the lag of every entry (arrival time minus the time in the entry's
``detail``: its commit), checks the seqs grow one frame after another, and acks at most every 0.1 s. ``pause()``
stops reading: the websockets library then stops reading the socket (its queue is full), so the server's
frames pile up in the kernel's buffers and daphne's, as with a stuck browser tab.
"""

import asyncio
import json
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ACK_EVERY = 0.1


@dataclass
class Follower:
    url: str
    origin: str
    cookie: str
    lags: list[float] = field(default_factory=list)
    frames: int = 0
    entries: int = 0
    last_seq: int = 0
    disorder: int = 0  # entries whose seq did not follow the previous one's (duplicates or reordering)
    close_code: int | None = None
    live: asyncio.Event = field(default_factory=asyncio.Event)
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    target: int | None = None
    _reading: asyncio.Event = field(default_factory=asyncio.Event)
    _acked_at: float = 0.0
    _ws: ClientConnection | None = None

    async def open(self) -> None:
        self._ws = await connect(
            self.url,
            origin=self.origin,
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            proxy=None,
            compression=None,
            max_size=2**24,
            open_timeout=60,
            ping_interval=None,
        )
        self._reading.set()

    def pause(self) -> None:
        self._reading.clear()

    def resume(self) -> None:
        self._reading.set()

    def aim(self, seq: int) -> None:
        self.target = seq
        if self.last_seq >= seq:
            self.reached.set()

    async def run(self) -> None:
        try:
            while True:
                await self._reading.wait()
                text = await self._ws.recv()
                self._receive(time.time(), json.loads(text))
                if self.last_seq and time.monotonic() - self._acked_at >= ACK_EVERY:
                    self._acked_at = time.monotonic()
                    await self._ws.send(json.dumps({"ack": self.last_seq}))
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd is not None else 1006
        finally:
            self.reached.set()

    def _receive(self, now: float, frame: dict) -> None:
        entries = frame["entries"]
        if entries:
            self.frames += 1
            self.entries += len(entries)
            for entry in entries:
                if self.last_seq and entry["seq"] != self.last_seq + 1:
                    self.disorder += 1
                self.last_seq = entry["seq"]
                self.lags.append(now - float(entry["detail"]))
        if frame.get("live"):
            self.live.set()
        if self.target is not None and self.last_seq >= self.target:
            self.reached.set()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


async def open_all(followers: list[Follower], *, at_once: int = 25) -> list[asyncio.Task]:
    """Connect every follower (a few at a time: daphne's listen backlog is small), start reading, wait for live."""
    gate = asyncio.Semaphore(at_once)

    async def one(follower: Follower) -> None:
        async with gate:
            await follower.open()

    await asyncio.gather(*(one(f) for f in followers))
    tasks = [asyncio.create_task(f.run()) for f in followers]
    await asyncio.wait_for(asyncio.gather(*(f.live.wait() for f in followers)), timeout=60)
    return tasks


def percentiles(values: list[float], points=(50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles and the max, in ms."""
    if not values:
        return {}
    ordered = sorted(values)
    result = {f"p{p}": ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] for p in points}
    result["max"] = ordered[-1]
    return {name: value * 1000 for name, value in result.items()}


def describe_lag(values: list[float]) -> str:
    return " ".join(f"{name} {ms:.0f} ms" for name, ms in percentiles(values).items()) or "no entries"
