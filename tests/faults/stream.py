"""A dashboard stream client that behaves as the browser's: acks, and reconnects with ?after=<last seq>."""

import json
import threading
import time

from django.contrib.auth import get_user_model
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

from messaging.models import JournalEntry
from tests.dashboard.conftest import session_cookie

ACK_EVERY = 0.1


def staff_cookie() -> str:
    user = get_user_model().objects.create_user("fault-operator", password="x", is_staff=True)
    return session_cookie(user)


class ReconnectingStream:
    def __init__(self, address: str, cookie: str, *, after: int):
        self.address, self.cookie = address, cookie
        self.entries: list[dict] = []
        self.connections = 0
        self.after = after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def seqs(self) -> list[int]:
        return [entry["seq"] for entry in self.entries]

    def _run(self) -> None:
        while not self._stop.is_set():
            after = self.entries[-1]["seq"] if self.entries else self.after
            try:
                with connect(
                    f"ws://{self.address}/ws/dashboard/?after={after}",
                    origin=f"http://{self.address}",
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                    proxy=None,
                    max_size=2**24,
                    open_timeout=5,
                ) as connection:
                    self.connections += 1
                    self._read(connection)
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
                pass
            self._stop.wait(0.5)  # as the browser does, after a short pause

    def _read(self, connection) -> None:
        acked_at = 0.0
        while not self._stop.is_set():
            try:
                text = connection.recv(timeout=0.5)
            except TimeoutError:
                continue
            entries = json.loads(text)["entries"]
            self.entries.extend(entries)
            if entries and time.monotonic() - acked_at >= ACK_EVERY:
                connection.send(json.dumps({"ack": entries[-1]["seq"]}))
                acked_at = time.monotonic()

    def caught_up(self) -> bool:
        last = JournalEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
        return bool(self.entries) and self.entries[-1]["seq"] == last

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)


def journal_after(seq: int) -> list[int]:
    return list(JournalEntry.objects.filter(seq__gt=seq).order_by("seq").values_list("seq", flat=True))


def newest_seq() -> int:
    return JournalEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
