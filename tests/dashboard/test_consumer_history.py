"""A client asks the websocket for one conversation's history, however old: the "Watch it live" link of a flow
view shows an old order's entries instead of an empty table."""

import pytest
from django.db import transaction
from django.utils import timezone

from marketplace.dashboard import consumers
from messaging.models import JournalEntry, Step
from messaging.runtime import journal
from tests.dashboard.conftest import connected, frames_until_live, run, seqs_of, write_entries

pytestmark = pytest.mark.django_db(transaction=True)

OLD = "old-order-0001"


def conversation_entries(count: int, correlation_id: str = OLD) -> list[int]:
    with transaction.atomic():
        entries = journal.append(
            *(
                JournalEntry(at=timezone.now(), step=Step.PUBLISHED, correlation_id=correlation_id, detail=str(i))
                for i in range(count)
            )
        )
    return sorted(entry.seq for entry in entries)


def test_the_history_of_a_conversation_older_than_the_newest_entries_comes_in_a_frame_of_its_own(staff_headers):
    # given an order's three entries, then 150 newer ones of others
    old = conversation_entries(3)
    write_entries(150)

    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        frames = await frames_until_live(communicator)
        # when the client asks for that conversation
        await communicator.send_json_to({"history": OLD})
        answer = await communicator.receive_json_from(3)
        await communicator.disconnect()
        return frames, answer

    frames, answer = run(scenario)
    # then the stream itself is unchanged (the newest 100, then live) and the answer carries the three, oldest first
    assert OLD not in {entry["correlation_id"] for frame in frames for entry in frame["entries"]}
    assert answer["entries"] == []
    assert answer["history"]["correlation_id"] == OLD
    assert [entry["seq"] for entry in answer["history"]["entries"]] == old
    assert answer["history"]["more"] is False


def test_an_unknown_conversation_has_an_empty_history(staff_headers):
    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        await frames_until_live(communicator)
        await communicator.send_json_to({"history": "nobody"})
        answer = await communicator.receive_json_from(3)
        await communicator.disconnect()
        return answer

    assert run(scenario) == {"entries": [], "history": {"correlation_id": "nobody", "entries": [], "more": False}}


def test_a_long_history_sends_the_newest_entries_and_says_there_are_more(staff_headers, monkeypatch):
    monkeypatch.setattr(consumers, "HISTORY", 4)
    old = conversation_entries(6)

    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        frames = await frames_until_live(communicator)
        await communicator.send_json_to({"history": OLD})
        answer = await communicator.receive_json_from(3)
        await communicator.disconnect()
        return frames, answer

    frames, answer = run(scenario)
    assert seqs_of(frames) == old  # the stream's own backlog, as ever
    assert [entry["seq"] for entry in answer["history"]["entries"]] == old[-4:]
    assert answer["history"]["more"] is True
