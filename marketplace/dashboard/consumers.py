"""The dashboard's websocket: the journal, from ``?after=N`` (or the newest 100 entries), then live.

Each client is either catching up (reading the journal from the database, a page at a time, as fast as its
acks allow) or live (forwarding the tail's frames as they are, serialised once for all clients). A live frame
that does not follow the last entry sent (``from_seq`` above it: the channel layer dropped a frame) sends the
client back to catching up, so the database fills the hole; entries already sent are never sent again.
A client may also ask for one conversation's history (``{"history": <correlation id>}``): its newest
``HISTORY`` entries, however old, in a frame of their own beside the stream. The contract (frames, acks, close
codes) is in ``protocol`` and the README.

A socket lives no longer than the login it was opened with (``sessions``): a logout of its session closes it at
once through its user's group, and its own check of the session, on the client's frames at most every
``SESSION_CHECK_EVERY`` seconds, closes it when the session ended some other way. Both close with 4401.
"""

import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from marketplace.dashboard import protocol, sessions
from marketplace.dashboard.protocol import Ack, History, ProtocolError
from marketplace.dashboard.tail import Batch, batch_after, batch_newest, history_of, process_tail

logger = logging.getLogger(__name__)

NEWEST = 100  # entries sent to a client that gives no ?after=
PAGE = 500  # entries per catch-up frame
HISTORY = 500  # entries of one conversation sent for a history frame, the newest
DEFAULT_MAX_UNACKED = 5000
DEFAULT_MAX_UNACKED_BYTES = 4 * 1024 * 1024
# Channel layers forget a group member after a while (group_expiry, a day) and the in-memory one drops a member
# whose queue held a message for a minute; joining again now and then, on the client's frames, keeps the
# membership. A frame lost meanwhile is filled from the database.
REJOIN_EVERY = 30.0
# How often, at most, a socket asks the database whether its session still logs in active staff: on a client's
# frame (the client acks about every 100 ms while entries flow, and pings every 20 s), never per frame.
SESSION_CHECK_EVERY = 30.0

read_after = database_sync_to_async(batch_after)
read_newest = database_sync_to_async(batch_newest)
read_history = database_sync_to_async(history_of)
session_holds = database_sync_to_async(sessions.session_holds)


class DashboardConsumer(AsyncWebsocketConsumer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tail = None  # set once subscribed
        self.joined_at = 0.0
        self.session_checked_at = 0.0
        self.sent = 0  # the seq of the last entry sent (or the client's ?after=)
        self.live = False
        self.announced_live = False
        self.closing = False
        self.rate = protocol.FrameRate()
        self.unacked = protocol.Unacked(
            max_entries=getattr(settings, "DASHBOARD_MAX_UNACKED", DEFAULT_MAX_UNACKED),
            max_bytes=getattr(settings, "DASHBOARD_MAX_UNACKED_BYTES", DEFAULT_MAX_UNACKED_BYTES),
        )

    async def dispatch(self, message):
        """Channels' dispatch without its ``close_old_connections`` before every message: that is a hop to the one
        thread that runs sync code, per frame and per client (200 clients: 1,000 hops a second at 5 frames a
        second). This consumer reaches the database only through ``database_sync_to_async``, which does it."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        if not getattr(user, "is_staff", False):
            await self.close()  # before accept: the handshake gets HTTP 403
            return
        self.session_checked_at = time.monotonic()  # the middleware has just read the session
        await self.accept()
        try:
            after = protocol.parse_after(self.scope.get("query_string", b""))
        except ProtocolError as error:
            await self.close_for(protocol.CLOSE_PROTOCOL_ERROR, str(error))
            return
        await self.join()  # before reading the backlog: no frame is missed in between
        try:
            if after is None:
                batch = await read_newest(NEWEST)
                self.sent = batch.to_seq
                await self.send_batch(batch)
            else:
                self.sent = after
            await self.catch_up()
        except Exception:
            await self.leave()  # daphne closes the socket (1011) and calls no disconnect
            raise

    async def disconnect(self, code):
        await self.leave()

    async def join(self):
        if self.tail is None:
            self.tail = process_tail()
            self.tail.subscribe()
        await self.channel_layer.group_add(self.tail.group, self.channel_name)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        self.joined_at = time.monotonic()

    async def leave(self):
        if self.tail is not None:
            await self.channel_layer.group_discard(self.tail.group, self.channel_name)
            await self.channel_layer.group_discard(self.user_group, self.channel_name)
            self.tail.unsubscribe()
            self.tail = None

    @property
    def user_group(self) -> str:
        return sessions.user_group(self.scope["user"].pk)

    async def catch_up(self):
        """Send the journal after ``self.sent`` from the database while the client's acks leave room; then live."""
        while not self.live and not self.closing:
            room = self.unacked.room(PAGE)
            if not room:
                return  # the next ack resumes
            batch = await read_after(self.sent, room)
            await self.send_batch(batch)
            if batch.count < room:
                self.live = True
                if not self.announced_live:
                    self.announced_live = True
                    await self.send(text_data=protocol.live_frame())

    async def journal_entries(self, event):
        """A frame from this process's tail (type ``journal.entries``)."""
        if not self.live or self.closing or event["to_seq"] <= self.sent:
            return  # catching up reads these rows from the database; or all of them were sent already
        if event["from_seq"] > self.sent:
            self.live = False  # a frame was lost on the way: fill the hole from the database first
            await self.catch_up()
            return
        if event["from_seq"] == self.sent:
            batch = Batch(event["from_seq"], event["to_seq"], event["count"], event["text"])
        else:
            text, count, last = protocol.frame_after(event["text"], self.sent)
            batch = Batch(self.sent, last, count, text)
        await self.send_batch(batch)

    async def send_batch(self, batch: Batch):
        if not batch.count or self.closing:
            return
        await self.send(text_data=batch.text)
        self.sent = batch.to_seq
        self.unacked.sent(batch.to_seq, batch.count, len(batch.text))
        if self.unacked.exceeded:
            await self.close_for(
                protocol.CLOSE_TOO_SLOW,
                f"{self.unacked.entries} entries ({self.unacked.bytes} bytes) sent and not acked",
            )

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return
        try:
            self.rate.check()
            frame = protocol.parse_client_frame(text_data, bytes_data)
        except ProtocolError as error:
            await self.close_for(protocol.CLOSE_PROTOCOL_ERROR, str(error))
            return
        if time.monotonic() - self.session_checked_at > SESSION_CHECK_EVERY and not await self.session_still_holds():
            await self.close_for(protocol.CLOSE_LOGGED_OUT, "the session ended, or its user may no longer see this")
            return
        if time.monotonic() - self.joined_at > REJOIN_EVERY:
            await self.join()
        if isinstance(frame, Ack):
            self.unacked.ack(frame.seq)
            if not self.live:
                await self.catch_up()
        elif isinstance(frame, History):
            await self.send(text_data=await read_history(frame.correlation_id, HISTORY))
        else:
            await self.send(text_data=protocol.pong_frame(frame.value))

    async def session_still_holds(self) -> bool:
        self.session_checked_at = time.monotonic()
        return await session_holds(self.scope["session"].session_key, self.scope["user"].pk)

    async def dashboard_logout(self, event):
        """The session this socket was opened with logged out (type ``dashboard.logout``, to the user's group)."""
        if not self.closing and event["session"] == sessions.session_digest(self.scope["session"].session_key):
            await self.close_for(protocol.CLOSE_LOGGED_OUT, "logged out")

    async def close_for(self, code: int, reason: str):
        self.closing = True
        log = logger.warning if code == protocol.CLOSE_TOO_SLOW else logger.info
        log("Closing dashboard socket of %s with %d: %s", self.scope.get("user"), code, reason)
        await self.close(code=code)
