"""The dashboard's websocket refuses what is outside the contract: a client that falls behind (4408), junk frames
and a malformed ``?after=`` (4400). Through the real ASGI application, as in test_consumer.py.
"""

import json

import pytest

from marketplace.dashboard import protocol
from tests.dashboard.conftest import (
    awrite_entries,
    close_code,
    connected,
    frames_until,
    frames_until_live,
    run,
    seqs_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
