"""The dashboard's websocket through the real ASGI application: origin check, session, consumer, the process's
journal tail and the in-memory channel layer, on real journal rows. The streaming contract is in the README.
"""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

import messaging
from marketplace.asgi import application
from marketplace.dashboard import consumers, protocol
from marketplace.dashboard.tail import batch_after, message, process_tail
from messaging import journal
from messaging.models import JournalEntry, Step
from tests.dashboard.conftest import socket_headers
from tests.testapp.contracts import Ping

pytestmark = pytest.mark.django_db(transaction=True)


# --- Helpers ---------------------------------------------------------------------------------------------------


def write_entries(count: int) -> list[int]:
    """``count`` journal entries in one transaction, as the journal writes them; their seqs."""
    with transaction.atomic():
        entries = journal.append(
            *(
                JournalEntry(at=timezone.now(), step=Step.RESUMED, handler="tests.ping_a", actor="test", detail=str(i))
                for i in range(count)
            )
        )
    return sorted(entry.seq for entry in entries)


awrite_entries = database_sync_to_async(write_entries)


def seqs_of(frames: list[dict]) -> list[int]:
    return [entry["seq"] for frame in frames for entry in frame["entries"]]


def run(scenario):
    """Run an async scenario to its end (each test has its own event loop)."""
    return async_to_sync(scenario)()


def socket(path: str = "/ws/dashboard/", headers=None) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=headers)


async def frames_until_live(communicator, *, timeout: float = 3) -> list[dict]:
    frames = []
    while not (frames and frames[-1].get("live")):
        frames.append(await communicator.receive_json_from(timeout))
    return frames


async def frames_until(communicator, seq: int, *, timeout: float = 3) -> list[dict]:
    """Frames until one carries ``seq`` (the receiver fails after ``timeout`` without a frame)."""
    frames = []
    while seq not in seqs_of(frames):
        frames.append(await communicator.receive_json_from(timeout))
    return frames


async def close_code(communicator, *, timeout: float = 3) -> int:
    """Skip data frames until the server closes; its close code."""
    while True:
        output = await communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output.get("code")


async def connected(path: str, headers) -> WebsocketCommunicator:
    communicator = socket(path, headers)
    accepted, _ = await communicator.connect()
    assert accepted
    return communicator


# --- Who may connect -------------------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_refused_before_accept(transactional_db):
    async def scenario():
        return await socket(headers=socket_headers()).connect()

    assert run(scenario) == (False, 1000)  # a close before accept: daphne answers the handshake with 403


def test_a_user_who_is_not_staff_is_refused_before_accept():
    customer = get_user_model().objects.create_user("customer", password="x")
    headers = socket_headers(customer)

    async def scenario():
        return await socket(headers=headers).connect()

    assert run(scenario) == (False, 1000)


@pytest.mark.parametrize("origin", ["http://evil.example", None])
def test_a_staff_session_from_a_foreign_or_missing_origin_is_refused(staff_user, origin):
    headers = socket_headers(staff_user, origin=origin)

    async def scenario():
        return await socket(headers=headers).connect()

    assert run(scenario) == (False, 1000)


def test_staff_are_accepted_and_told_when_the_stream_is_live(staff_headers):
    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        frames = await frames_until_live(communicator)
        await communicator.disconnect()
        return frames

    assert run(scenario) == [{"entries": [], "live": True}]


# --- The backlog -----------------------------------------------------------------------------------------------


def test_after_n_sends_exactly_the_entries_after_n_in_order_then_live(staff_headers):
    seqs = write_entries(6)

    async def scenario():
        communicator = await connected(f"/ws/dashboard/?after={seqs[2]}", staff_headers)
        frames = await frames_until_live(communicator)
        await communicator.receive_nothing(0.3)
        await communicator.disconnect()
        return frames

    frames = run(scenario)

    assert seqs_of(frames) == seqs[3:]
    assert frames[-1] == {"entries": [], "live": True}


def test_without_after_the_newest_100_entries_come_first_oldest_first(staff_headers):
    seqs = write_entries(130)

    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        frames = await frames_until_live(communicator)
        await communicator.disconnect()
        return frames

    frames = run(scenario)

    assert seqs_of(frames) == seqs[-100:]


def test_each_entry_carries_the_contract_fields(staff_headers):
    with transaction.atomic():
        message_id = messaging.publish(Ping(key="fields"))
    row = JournalEntry.objects.get(message_id=message_id, step=Step.PUBLISHED)

    async def scenario():
        communicator = await connected(f"/ws/dashboard/?after={row.seq - 1}", staff_headers)
        frames = await frames_until_live(communicator)
        await communicator.disconnect()
        return frames

    (entry,) = run(scenario)[0]["entries"]

    assert list(entry) == list(protocol.ENTRY_FIELDS)
    assert entry["seq"] == row.seq
    assert entry["message_id"] == str(message_id)
    assert entry["at"] == row.at.isoformat()
    assert (entry["kind"], entry["type"], entry["step"]) == ("event", row.type, "published")
    assert entry["correlation_id"] == row.correlation_id


def test_a_long_backlog_comes_as_fast_as_the_client_acks_and_never_past_the_bound(staff_headers, settings):
    settings.DASHBOARD_MAX_UNACKED = 600
    seqs = write_entries(1500)

    async def scenario():
        communicator = await connected("/ws/dashboard/?after=0", staff_headers)
        frames = [await communicator.receive_json_from(3), await communicator.receive_json_from(3)]
        await communicator.receive_nothing(0.3)  # 500 + 100 sent, nothing more until an ack
        stalled_at = len(seqs_of(frames))
        while not frames[-1].get("live"):
            if frames[-1]["entries"]:
                await communicator.send_json_to({"ack": frames[-1]["entries"][-1]["seq"]})
            frames.append(await communicator.receive_json_from(3))
        await communicator.disconnect()
        return stalled_at, frames

    stalled_at, frames = run(scenario)

    assert stalled_at == 600
    assert seqs_of(frames) == seqs


# --- Live ------------------------------------------------------------------------------------------------------


def test_an_entry_written_after_connecting_arrives_once(staff_headers, quick_tail):
    write_entries(3)

    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        backlog = await frames_until_live(communicator)
        message_id = await database_sync_to_async(publish_ping)("live")
        seq = await database_sync_to_async(published_seq)(message_id)
        live = await frames_until(communicator, seq)
        await communicator.receive_nothing(0.3)
        await communicator.disconnect()
        return backlog, live, seq, message_id

    backlog, live, seq, message_id = run(scenario)

    assert seqs_of(live) == [seq]
    assert live[-1]["entries"][0]["message_id"] == str(message_id)
    assert seq not in seqs_of(backlog)


def publish_ping(key: str):
    with transaction.atomic():
        return messaging.publish(Ping(key=key))


def published_seq(message_id) -> int:
    return JournalEntry.objects.get(message_id=message_id, step=Step.PUBLISHED).seq


def test_a_frame_the_layer_dropped_is_filled_from_the_database_without_duplicates(staff_headers, settings):
    settings.DASHBOARD_TAIL_INTERVAL = 3600  # the tail reads once, then sleeps: this test plays its part
    before = write_entries(2)

    async def scenario():
        communicator = await connected(f"/ws/dashboard/?after={before[-1]}", staff_headers)
        await frames_until_live(communicator)
        await asyncio.sleep(0.2)  # the tail's first read is done
        seqs = await awrite_entries(5)
        # The frame with the first three entries was lost on the way; the one with the last two arrives.
        tail_of_it = await database_sync_to_async(batch_after)(seqs[2], 10)
        await get_channel_layer().group_send(process_tail().group, message(tail_of_it))
        frames = await frames_until(communicator, seqs[-1])
        # The same frame again, and one overlapping what was sent: nothing is sent twice.
        await get_channel_layer().group_send(process_tail().group, message(tail_of_it))
        overlapping = await database_sync_to_async(batch_after)(before[-1], 10)
        await get_channel_layer().group_send(process_tail().group, message(overlapping))
        await communicator.receive_nothing(0.3)
        await communicator.disconnect()
        return seqs, frames

    seqs, frames = run(scenario)

    assert seqs_of(frames) == seqs


def test_a_frame_overlapping_what_was_sent_is_forwarded_without_the_entries_sent(staff_headers, settings):
    settings.DASHBOARD_TAIL_INTERVAL = 3600
    before = write_entries(1)

    async def scenario():
        communicator = await connected(f"/ws/dashboard/?after={before[-1]}", staff_headers)
        await frames_until_live(communicator)
        await asyncio.sleep(0.2)
        seqs = await awrite_entries(2)
        first = await database_sync_to_async(batch_after)(before[-1], 1)
        await get_channel_layer().group_send(process_tail().group, message(first))
        frames = [await communicator.receive_json_from(3)]
        more = await awrite_entries(2)
        both = await database_sync_to_async(batch_after)(before[-1], 10)  # from before the first frame
        await get_channel_layer().group_send(process_tail().group, message(both))
        frames.append(await communicator.receive_json_from(3))
        await communicator.receive_nothing(0.3)
        await communicator.disconnect()
        return seqs + more, frames

    seqs, frames = run(scenario)

    assert [seqs_of([frame]) for frame in frames] == [seqs[:1], seqs[1:]]


def test_a_client_the_layer_forgot_joins_again_on_its_next_frame_and_misses_nothing(
    staff_headers, settings, monkeypatch
):
    settings.DASHBOARD_TAIL_INTERVAL = 3600
    monkeypatch.setattr(consumers, "REJOIN_EVERY", 0)
    before = write_entries(1)

    async def scenario():
        layer, group = get_channel_layer(), process_tail().group
        communicator = await connected(f"/ws/dashboard/?after={before[-1]}", staff_headers)
        await frames_until_live(communicator)
        await asyncio.sleep(0.2)
        for channel in list(layer.groups.get(group, {})):  # as the layer does to a member it expires
            await layer.group_discard(group, channel)
        seqs = await awrite_entries(2)
        await layer.group_send(group, message(await database_sync_to_async(batch_after)(before[-1], 10)))  # lost
        await communicator.send_json_to({"ping": "p"})
        pong = await communicator.receive_json_from(3)
        seqs += await awrite_entries(1)
        await layer.group_send(group, message(await database_sync_to_async(batch_after)(seqs[1], 10)))
        frames = await frames_until(communicator, seqs[-1])
        await communicator.receive_nothing(0.3)
        await communicator.disconnect()
        return pong, seqs, frames

    pong, seqs, frames = run(scenario)

    assert pong == {"entries": [], "pong": "p"}
    assert seqs_of(frames) == seqs


# --- Flow control ----------------------------------------------------------------------------------------------


def test_a_client_that_never_acks_is_closed_as_too_slow_past_the_bound(staff_headers, quick_tail):
    quick_tail.DASHBOARD_MAX_UNACKED = 5

    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        await frames_until_live(communicator)
        await awrite_entries(3)
        await awrite_entries(3)
        code = await close_code(communicator)
        await communicator.disconnect()
        return code

    assert run(scenario) == protocol.CLOSE_TOO_SLOW


def test_a_client_that_acks_stays_connected(staff_headers, quick_tail):
    quick_tail.DASHBOARD_MAX_UNACKED = 5

    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        await frames_until_live(communicator)
        received = []
        for _ in range(4):
            seqs = await awrite_entries(4)
            frames = await frames_until(communicator, seqs[-1])
            received += seqs_of(frames)
            await communicator.send_json_to({"ack": seqs[-1]})
        await communicator.send_json_to({"ping": "still there?"})
        pong = await communicator.receive_json_from(3)
        await communicator.disconnect()
        return received, pong

    received, pong = run(scenario)

    assert len(received) == 16
    assert pong == {"entries": [], "pong": "still there?"}


# --- Junk from the client --------------------------------------------------------------------------------------

JUNK = {
    "bad JSON": {"text_data": '{"ack": '},
    "not an object": {"text_data": "[1]"},
    "binary": {"bytes_data": b'{"ack": 1}'},
    "unknown key": {"text_data": '{"subscribe": "orders"}'},
    "extra key": {"text_data": '{"ack": 1, "ping": "x"}'},
    "no key": {"text_data": "{}"},
    "ack of the wrong type": {"text_data": '{"ack": "1"}'},
    "ack as a boolean": {"text_data": '{"ack": true}'},
    "negative ack": {"text_data": '{"ack": -1}'},
    "ping of the wrong type": {"text_data": '{"ping": 1}'},
    "ping too long": {"text_data": json.dumps({"ping": "x" * 65})},
    "over 1 KiB": {"text_data": json.dumps({"ping": "x"}) + " " * 1024},
}


@pytest.mark.parametrize("frame", JUNK.values(), ids=JUNK.keys())
def test_junk_from_the_client_closes_the_socket_with_4400(staff_headers, frame):
    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        await frames_until_live(communicator)
        await communicator.send_to(**frame)
        code = await close_code(communicator)
        await communicator.disconnect()
        return code

    assert run(scenario) == protocol.CLOSE_PROTOCOL_ERROR


def test_more_than_20_frames_a_second_close_the_socket_with_4400(staff_headers):
    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        await frames_until_live(communicator)
        for n in range(21):
            await communicator.send_json_to({"ping": str(n)})
        pongs = [await communicator.receive_json_from(3) for _ in range(20)]
        code = await close_code(communicator)
        await communicator.disconnect()
        return pongs, code

    pongs, code = run(scenario)

    assert [pong["pong"] for pong in pongs] == [str(n) for n in range(20)]
    assert code == protocol.CLOSE_PROTOCOL_ERROR


@pytest.mark.parametrize("query", ["after=abc", "after=-1", "after=1&after=2", f"after={2**63}"])
def test_a_malformed_after_closes_the_socket_with_4400(staff_headers, query):
    async def scenario():
        communicator = await connected(f"/ws/dashboard/?{query}", staff_headers)
        code = await close_code(communicator)
        await communicator.disconnect()
        return code

    assert run(scenario) == protocol.CLOSE_PROTOCOL_ERROR
