"""The stream's correlation filter takes the 8 characters of an order id the stream shows: the history of the one
conversation they start comes back named; several, or too few characters, are said so."""

import pytest
from django.db import transaction
from django.utils import timezone

from messaging.models import JournalEntry, Step
from messaging.runtime import journal
from tests.dashboard.conftest import connected, frames_until_live, run

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = "5f0c3a9e-1b2d-4c3e-8f4a-0123456789ab"
TWIN = "5f0c3a9e-ffff-4c3e-8f4a-0123456789ab"


def entries_of(correlation_id: str, count: int = 2) -> list[int]:
    with transaction.atomic():
        written = journal.append(
            *(JournalEntry(at=timezone.now(), step=Step.PUBLISHED, correlation_id=correlation_id) for _ in range(count))
        )
    return sorted(entry.seq for entry in written)


def history_for(staff_headers, asked: str) -> dict:
    async def scenario():
        communicator = await connected("/ws/dashboard/", staff_headers)
        await frames_until_live(communicator)
        await communicator.send_json_to({"history": asked})
        answer = await communicator.receive_json_from(3)
        await communicator.disconnect()
        return answer

    return run(scenario)["history"]


def test_the_short_id_brings_the_history_of_the_conversation_it_starts(staff_headers):
    seqs = entries_of(ORDER)

    history = history_for(staff_headers, ORDER[:8])

    assert history["correlation_id"] == ORDER[:8]
    assert history["resolved"] == ORDER
    assert [entry["seq"] for entry in history["entries"]] == seqs


def test_a_start_several_conversations_share_is_said_with_them(staff_headers):
    entries_of(ORDER)
    entries_of(TWIN)

    history = history_for(staff_headers, ORDER[:8])

    assert history["entries"] == []
    assert history["note"] == f"2 conversations start with {ORDER[:8]!r}"
    assert history["matches"] == [ORDER, TWIN]


def test_too_few_characters_are_said_so(staff_headers):
    entries_of(ORDER)

    history = history_for(staff_headers, "5f0c")

    assert history["entries"] == []
    assert history["note"] == "Give at least 6 characters of an id: '5f0c' is too short."
