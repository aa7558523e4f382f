"""One journal tail per web process: reads new journal entries and fans them out to this process's consumers.

The journal is the source of truth: workers write it from other processes, where no in-memory channel
layer reaches. The tail polls the journal (``messaging.selectors``) for ``seq > last`` every
``DASHBOARD_TAIL_INTERVAL`` seconds (0.2), up to ``READ_LIMIT`` rows a read, serialises each batch to JSON
once, and ``group_send``s it to a group unique to this process. With channels-redis and several web
processes each process's tail feeds its own consumers only, so no client gets a frame twice. Every read
stops at the journal's horizon, below which no row can still appear, so reading ``seq > last`` misses no
row even though writers commit in any order; a frame the layer drops on the way is filled from the
database by the consumer, which knows the ``from_seq`` each frame follows.

The tail runs while at least one consumer of this process is subscribed: the first starts it, the last stops it.
"""

import asyncio
import logging
import secrets
from dataclasses import dataclass

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from marketplace.dashboard import protocol
from messaging import selectors

logger = logging.getLogger(__name__)

READ_LIMIT = 1000
DEFAULT_INTERVAL = 0.2
MAX_ERROR_BACKOFF = 5.0
MESSAGE_TYPE = "journal.entries"  # handled by DashboardConsumer.journal_entries


@dataclass(frozen=True)
class Batch:
    """Journal entries after ``from_seq`` as one server frame: ``count`` entries up to ``to_seq``."""

    from_seq: int
    to_seq: int
    count: int
    text: str


# --- Reads (sync: call through database_sync_to_async) ---------------------------------------------------------


def batch_after(seq: int, limit: int) -> Batch:
    """Up to ``limit`` entries with ``seq`` greater than ``seq``, oldest first, up to the horizon."""
    rows = selectors.journal_after(seq=seq, limit=limit, fields=protocol.ENTRY_FIELDS)
    return Batch(seq, rows[-1]["seq"] if rows else seq, len(rows), protocol.entries_frame(rows))


def batch_newest(limit: int) -> Batch:
    """The newest ``limit`` entries up to the horizon, oldest first (``from_seq`` is meaningless here: 0)."""
    rows = selectors.journal_newest(limit=limit, fields=protocol.ENTRY_FIELDS)
    return Batch(0, rows[-1]["seq"] if rows else 0, len(rows), protocol.entries_frame(rows))


def history_of(correlation_id: str, limit: int) -> str:
    """The frame answering a client's ``history``: the newest ``limit`` entries of that conversation.

    The first characters of a correlation id are enough when they are its own (the stream shows 8); the answer
    names the conversation found, or says why none was (too short, or several start so).
    """
    found = selectors.ids_matching(term=correlation_id, in_journal=True)
    if found.problem or found.ambiguous:
        note = found.problem or f"{found.count}{'+' if found.more else ''} conversations start with {correlation_id!r}"
        return protocol.history_frame(correlation_id, [], more=False, note=note, matches=found.correlation_ids)
    resolved = found.correlation_ids[0] if found.correlation_ids else correlation_id
    rows = selectors.journal_of_correlation(correlation_id=resolved, limit=limit + 1, fields=protocol.ENTRY_FIELDS)
    return protocol.history_frame(correlation_id, rows[-limit:], more=len(rows) > limit, resolved=resolved)


# --- The tail --------------------------------------------------------------------------------------------------


class JournalTail:
    def __init__(self):
        self.group = f"dashboard.{secrets.token_hex(8)}"
        self._task: asyncio.Task | None = None
        self._subscribers = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def subscribe(self) -> None:
        """A consumer joined this process's group: make sure the tail runs (on the running event loop)."""
        loop = asyncio.get_running_loop()
        if self._task is not None and self._task.get_loop() is not loop:
            self._task, self._subscribers = None, 0  # a loop that is gone (tests run one loop per test)
        if not self.running:
            self._task = loop.create_task(self._run(), name="dashboard journal tail")
        self._subscribers += 1

    def unsubscribe(self) -> None:
        self._subscribers = max(0, self._subscribers - 1)
        if self._subscribers == 0 and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        layer = get_channel_layer()
        read_last = database_sync_to_async(selectors.journal_last_seq)
        read_batch = database_sync_to_async(batch_after)
        last = None
        errors = 0
        while True:
            batch = None
            try:
                if last is None:
                    last = await read_last()
                batch = await read_batch(last, READ_LIMIT)
                if batch.count:
                    await layer.group_send(self.group, message(batch))
                    last = batch.to_seq
                errors = 0
            except Exception:
                errors += 1
                logger.exception("The dashboard's journal tail failed to read or fan out (%d in a row)", errors)
            if batch is None or batch.count < READ_LIMIT:
                interval = getattr(settings, "DASHBOARD_TAIL_INTERVAL", DEFAULT_INTERVAL)
                await asyncio.sleep(min(MAX_ERROR_BACKOFF, interval * 2**errors) if errors else interval)


def message(batch: Batch) -> dict:
    return {
        "type": MESSAGE_TYPE,
        "from_seq": batch.from_seq,
        "to_seq": batch.to_seq,
        "count": batch.count,
        "text": batch.text,
    }


_tail = JournalTail()


def process_tail() -> JournalTail:
    """This process's tail (one per web process, shared by all its consumers)."""
    return _tail
