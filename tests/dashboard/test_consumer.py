"""The dashboard's websocket through the real ASGI application: origin check, session, consumer, the process's
journal tail and the in-memory channel layer, on real journal rows. The streaming contract is in the README.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db import transaction

import messaging
from marketplace.dashboard import consumers, protocol
from marketplace.dashboard.tail import batch_after, message, process_tail
from messaging.models import JournalEntry, Step
from tests.dashboard.conftest import (
    awrite_entries,
    connected,
    frames_until,
    frames_until_live,
    run,
    seqs_of,
    socket,
    socket_headers,
    write_entries,
)
from tests.testapp.contracts import Ping

pytestmark = pytest.mark.django_db(transaction=True)


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
