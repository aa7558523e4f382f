"""The dashboard's streaming contract, as pure functions: server frames out, client frames in.

Server frame: ``{"entries": [<entry>, ...]}`` (oldest first), optionally with ``"live": true`` (the backlog is
done), ``"pong": <value>`` or ``"history": {"correlation_id": ..., "entries": [...], "more": bool}`` (the answer
to a ``history`` frame: that conversation's newest entries, outside the stream's ``seq`` order and acks; with
``"resolved"`` when the id asked was the start of one, or ``"note"`` and ``"matches"`` when it named none).
Client frame: a JSON object of at most 1 KiB with exactly one known key, ``{"ack": <seq>}``,
``{"ping": <string of at most 64 characters>}`` or ``{"history": <correlation id>}``, at most 20 a second.
Anything else is a ``ProtocolError``: the consumer closes the socket with ``CLOSE_PROTOCOL_ERROR``. A socket
whose session ended (logout, expiry, a user no longer active staff) is closed with ``CLOSE_LOGGED_OUT``. See
README, "Live dashboard".
"""

import json
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

ENTRY_FIELDS = (
    "seq",
    "at",
    "message_id",
    "kind",
    "type",
    "step",
    "handler",
    "attempt",
    "correlation_id",
    "causation_id",
    "context",
    "duration_ms",
    "actor",
    "detail",
)

CLOSE_PROTOCOL_ERROR = 4400
CLOSE_LOGGED_OUT = 4401  # logged out, or the session ended: log in again; the client does not reconnect
CLOSE_TOO_SLOW = 4408

MAX_CLIENT_FRAME_BYTES = 1024
MAX_CLIENT_FRAMES_PER_SECOND = 20
MAX_PING_CHARS = 64
MAX_CORRELATION_CHARS = 64  # JournalEntry.correlation_id
MAX_SEQ = 2**63 - 1  # a BigAutoField


class ProtocolError(ValueError):
    """A client frame (or connection parameter) outside the contract; the socket is closed with 4400."""


# --- Server frames ---------------------------------------------------------------------------------------------


def entry_json(row: Mapping) -> dict:
    """One journal entry as the wire shows it, from a ``JournalEntry.objects.values(*ENTRY_FIELDS)`` row."""
    entry = {name: row[name] for name in ENTRY_FIELDS}
    entry["at"] = row["at"].isoformat()
    if row["message_id"] is not None:
        entry["message_id"] = str(row["message_id"])
    return entry


def entries_frame(rows: Iterable[Mapping], **extra) -> str:
    """The text of a server frame carrying ``rows`` (oldest first), serialised once for every client."""
    return dumps({"entries": [entry_json(row) for row in rows], **extra})


def live_frame() -> str:
    return dumps({"entries": [], "live": True})


def pong_frame(value: str) -> str:
    return dumps({"entries": [], "pong": value})


def history_frame(
    correlation_id: str, rows: list[Mapping], *, more: bool, resolved: str = "", note: str = "", matches=()
) -> str:
    """The answer to ``{"history": correlation_id}``: its entries (oldest first), ``more`` if older ones were left.

    ``correlation_id`` is as asked; ``resolved`` the whole id it was the start of, or ``note`` why no single
    conversation was found, with the ids it could be (``matches``).
    """
    history = {"correlation_id": correlation_id, "entries": [entry_json(row) for row in rows], "more": more}
    if resolved and resolved != correlation_id:
        history["resolved"] = resolved
    if note:
        history["note"] = note
        history["matches"] = list(matches)
    return dumps({"entries": [], "history": history})


def frame_after(text: str, seq: int) -> tuple[str, int, int]:
    """The frame ``text`` without its entries up to ``seq``: (text, entries left, last seq left or ``seq``)."""
    entries = [entry for entry in json.loads(text)["entries"] if entry["seq"] > seq]
    return dumps({"entries": entries}), len(entries), (entries[-1]["seq"] if entries else seq)


def dumps(value) -> str:
    # ASCII only, so a frame's length in characters is its size in bytes (flow control counts it).
    return json.dumps(value, separators=(",", ":"))


# --- Client frames ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    seq: int


@dataclass(frozen=True)
class Ping:
    value: str


@dataclass(frozen=True)
class History:
    correlation_id: str


def parse_client_frame(text: str | None = None, data: bytes | None = None) -> Ack | Ping | History:
    """Validate one client frame; raise ``ProtocolError`` for anything outside the contract."""
    if text is None:
        raise ProtocolError("binary frames are not accepted")
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_CLIENT_FRAME_BYTES:
        raise ProtocolError(f"frame larger than {MAX_CLIENT_FRAME_BYTES} bytes")
    try:
        frame = json.loads(text)
    except ValueError as error:
        raise ProtocolError("frame is not JSON") from error
    if not isinstance(frame, dict) or len(frame) != 1:
        raise ProtocolError('a frame is an object with exactly one key, "ack", "ping" or "history"')
    ((key, value),) = frame.items()
    if key == "ack":
        if type(value) is not int or not 0 <= value <= MAX_SEQ:
            raise ProtocolError('"ack" takes a journal seq (a non-negative integer)')
        return Ack(value)
    if key == "ping":
        if not isinstance(value, str) or len(value) > MAX_PING_CHARS:
            raise ProtocolError(f'"ping" takes a string of at most {MAX_PING_CHARS} characters')
        return Ping(value)
    if key == "history":
        if not isinstance(value, str) or not 0 < len(value) <= MAX_CORRELATION_CHARS:
            raise ProtocolError(f'"history" takes a correlation id of 1 to {MAX_CORRELATION_CHARS} characters')
        return History(value)
    raise ProtocolError(f"unknown key {key[:40]!r}")


def parse_after(query_string: bytes) -> int | None:
    """The ``after`` parameter of the connection address: the last seq the client saw, or None."""
    try:
        values = parse_qs(query_string.decode("ascii"), strict_parsing=False).get("after")
    except UnicodeDecodeError as error:
        raise ProtocolError("the query string is not ASCII") from error
    if not values:
        return None
    if len(values) > 1 or not values[0].isdigit() or int(values[0]) > MAX_SEQ:
        raise ProtocolError('"after" takes one journal seq (a non-negative integer)')
    return int(values[0])


@dataclass
class FrameRate:
    """At most ``limit`` client frames in any ``window`` seconds."""

    limit: int = MAX_CLIENT_FRAMES_PER_SECOND
    window: float = 1.0
    clock: object = time.monotonic
    _times: deque = field(default_factory=deque)

    def check(self) -> None:
        now = self.clock()
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        if len(self._times) >= self.limit:
            raise ProtocolError(f"more than {self.limit} frames in {self.window:g} s")
        self._times.append(now)


# --- Flow control ----------------------------------------------------------------------------------------------


@dataclass
class Unacked:
    """What was sent to one client and not acked yet: entries and bytes, per frame (by its last seq)."""

    max_entries: int
    max_bytes: int
    entries: int = 0
    bytes: int = 0
    _frames: deque = field(default_factory=deque)  # (last seq, entries, bytes), oldest first

    def sent(self, last_seq: int, entries: int, size: int) -> None:
        if entries:
            self._frames.append((last_seq, entries, size))
            self.entries += entries
            self.bytes += size

    def ack(self, seq: int) -> None:
        while self._frames and self._frames[0][0] <= seq:
            _, entries, size = self._frames.popleft()
            self.entries -= entries
            self.bytes -= size

    @property
    def exceeded(self) -> bool:
        return self.entries > self.max_entries or self.bytes > self.max_bytes

    def room(self, page: int) -> int:
        """How many more entries may be read for a catch-up frame without going past the bound (0: wait)."""
        if self.bytes * 2 >= self.max_bytes:
            return 0
        return max(0, min(page, self.max_entries - self.entries))
