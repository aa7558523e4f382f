""" "Watch it live" from the flow view of an order older than the stream's newest entries: the stream asks the
server for that conversation's history and shows it, and says so when there is none.

Everything runs for real (daphne with the websocket, a qcluster, the sweeper, on the file-based test database).
"""

import re
import secrets

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect

from messaging.models import JournalEntry, Step
from messaging.runtime import journal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARRIVES = 30_000  # ms
OLD = "0ld0rder-1111-2222-3333-444455556666"


def entries(count: int, correlation_id: str = "") -> list[int]:
    with transaction.atomic():
        written = journal.append(
            *(
                JournalEntry(at=timezone.now(), step=Step.RESUMED, handler="tests.ping_a", actor="test",
                             correlation_id=correlation_id, detail=f"entry {i}")
                for i in range(count)
            )
        )  # fmt: skip
    return sorted(entry.seq for entry in written)


def open_stream(page: Page, query: str) -> None:
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("watcher", password=password, is_staff=True)
    page.goto("/dashboard/" + query)
    page.get_by_label("Username").fill("watcher")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page.locator("#stream-state")).to_have_text("Live", timeout=ARRIVES)


def test_watching_an_old_conversation_live_shows_its_history_then_says_when_there_is_none(live_stack, page: Page):
    # given an order's three journal entries, then 150 newer ones of others (past the stream's newest 100)
    old = entries(3, OLD)
    entries(150)

    # when the operator follows "Watch it live" for that order
    open_stream(page, f"?correlation={OLD}")

    # then its three entries are in the table, newest first, and the count says where they came from
    rows = page.locator("#stream-rows tr")
    expect(rows).to_have_count(3, timeout=ARRIVES)
    assert [int(seq) for seq in rows.evaluate_all("rows => rows.map(r => r.dataset.seq)")] == old[::-1]
    expect(page.locator("#stream-counts")).to_contain_text("from the journal: 3 entries")

    # when the filter names a conversation the journal has never seen
    page.get_by_label("Correlation id", exact=True).fill("no-such-conversation")

    # then the empty table says so
    expect(rows).to_have_count(0)
    expect(page.locator("#stream-counts")).to_contain_text(
        "Nothing in the journal for correlation id \u201cno-such-conversation\u201d", timeout=ARRIVES
    )
