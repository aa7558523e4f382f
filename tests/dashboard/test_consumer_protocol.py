"""The streaming contract's pure parts: server frames, client-frame validation, the rate limit, flow control."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from marketplace.dashboard import protocol
from marketplace.dashboard.protocol import Ack, FrameRate, History, Ping, ProtocolError, Unacked


def row(seq: int, **fields) -> dict:
    return {
        "seq": seq,
        "at": datetime(2026, 11, 26, 12, 0, seq % 60, tzinfo=UTC),
        "message_id": None,
        "kind": "",
        "type": "",
        "step": "paused",
        "handler": "orders.h",
        "attempt": None,
        "correlation_id": "",
        "causation_id": "",
        "context": "",
        "duration_ms": None,
        "actor": "user:ada",
        "detail": "",
        **fields,
    }


def test_a_frame_lists_its_entries_oldest_first_with_every_field_as_json():
    message_id = uuid.uuid4()
    text = protocol.entries_frame([row(7, message_id=message_id, duration_ms=1.5), row(8, detail="ünïcode")])

    frame = json.loads(text)

    assert [entry["seq"] for entry in frame["entries"]] == [7, 8]
    assert list(frame["entries"][0]) == list(protocol.ENTRY_FIELDS)
    assert frame["entries"][0]["at"] == "2026-11-26T12:00:07+00:00"
    assert frame["entries"][0]["message_id"] == str(message_id)
    assert frame["entries"][1]["detail"] == "ünïcode"
    assert text.isascii()  # so its length is its size in bytes


def test_a_frame_cut_after_a_seq_keeps_only_the_later_entries():
    text = protocol.entries_frame([row(1), row(2), row(3)])

    cut, count, last = protocol.frame_after(text, 1)

    assert ([entry["seq"] for entry in json.loads(cut)["entries"]], count, last) == ([2, 3], 2, 3)
    assert protocol.frame_after(text, 3)[1:] == (0, 3)


def test_the_live_and_pong_frames():
    assert json.loads(protocol.live_frame()) == {"entries": [], "live": True}
    assert json.loads(protocol.pong_frame("t1")) == {"entries": [], "pong": "t1"}


@pytest.mark.parametrize(
    ("text", "frame"),
    [('{"ack": 0}', Ack(0)), ('{"ack": 12345}', Ack(12345)), ('{"ping": ""}', Ping("")), ('{"ping": "x"}', Ping("x"))],
)
def test_the_client_frames_of_the_contract_are_understood(text, frame):
    assert protocol.parse_client_frame(text) == frame


@pytest.mark.parametrize(
    "text",
    [None, "", "nul", "1", '"ack"', "null", "{}", '{"ack": 1.0}', '{"ack": 1, "x": 2}', '{"Ack": 1}', '{"ping": null}'],
)
def test_anything_else_is_a_protocol_error(text):
    with pytest.raises(ProtocolError):
        protocol.parse_client_frame(text, b"" if text is None else None)


def test_a_frame_of_exactly_1_kib_passes_and_one_byte_more_does_not():
    frame = '{"ack": 1}'
    assert protocol.parse_client_frame(frame + " " * (1024 - len(frame))) == Ack(1)
    with pytest.raises(ProtocolError, match="larger than 1024"):
        protocol.parse_client_frame(frame + " " * (1025 - len(frame)))


@pytest.mark.parametrize(
    ("query", "after"), [(b"", None), (b"after=0", 0), (b"after=42", 42), (b"x=1&after=7", 7), (b"after=", None)]
)
def test_after_is_read_from_the_query_string(query, after):
    assert protocol.parse_after(query) == after


@pytest.mark.parametrize("query", [b"after=x", b"after=-3", b"after=1.5", b"after=1&after=2", b"after=\xff"])
def test_a_malformed_after_is_a_protocol_error(query):
    with pytest.raises(ProtocolError):
        protocol.parse_after(query)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_twenty_frames_a_second_pass_the_twenty_first_does_not():
    clock = FakeClock()
    rate = FrameRate(clock=clock)
    for _ in range(20):
        rate.check()
        clock.now += 0.01
    with pytest.raises(ProtocolError, match="more than 20 frames"):
        rate.check()


def test_a_steady_client_under_the_rate_is_never_refused():
    clock = FakeClock()
    rate = FrameRate(clock=clock)
    for _ in range(200):
        rate.check()
        clock.now += 0.0625  # 16 a second


def test_unacked_entries_and_bytes_are_counted_per_frame_until_acked():
    unacked = Unacked(max_entries=10, max_bytes=1000)
    unacked.sent(5, 5, 100)
    unacked.sent(9, 4, 80)
    unacked.sent(9, 0, 20)  # an empty frame counts for nothing

    assert (unacked.entries, unacked.bytes) == (9, 180)
    unacked.ack(4)  # inside the first frame: the frame stays unacked
    assert unacked.entries == 9
    unacked.ack(5)
    assert (unacked.entries, unacked.bytes) == (4, 80)
    unacked.ack(100)
    assert (unacked.entries, unacked.bytes) == (0, 0)


def test_past_the_bound_in_entries_or_bytes_is_too_slow():
    unacked = Unacked(max_entries=10, max_bytes=1000)
    unacked.sent(10, 10, 100)
    assert not unacked.exceeded
    unacked.sent(11, 1, 10)
    assert unacked.exceeded

    by_bytes = Unacked(max_entries=10, max_bytes=1000)
    by_bytes.sent(1, 1, 1001)
    assert by_bytes.exceeded


def test_catching_up_reads_only_what_the_bound_leaves_room_for():
    unacked = Unacked(max_entries=1000, max_bytes=10_000)
    assert unacked.room(500) == 500
    unacked.sent(700, 700, 1000)
    assert unacked.room(500) == 300
    unacked.sent(1000, 300, 1000)
    assert unacked.room(500) == 0
    unacked.ack(1000)
    unacked.sent(1001, 1, 5000)  # half the bytes: wait for acks before reading more
    assert unacked.room(500) == 0


def test_a_history_frame_asks_for_one_conversation_of_at_most_64_characters():
    assert protocol.parse_client_frame('{"history": "9f1e"}') == History("9f1e")
    for wrong in ('{"history": ""}', '{"history": 5}', '{"history": "' + "x" * 65 + '"}'):
        with pytest.raises(ProtocolError):
            protocol.parse_client_frame(wrong)
