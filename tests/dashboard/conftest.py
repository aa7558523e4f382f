"""Fixtures for the dashboard tests: staff and other users' websocket headers, a quick journal tail; helpers for the
websocket tests (``test_consumer*.py``), which run each scenario in an event loop of its own (``run``)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone

import messaging
from messaging.models import DeadLetter, Delivery, DeliveryStatus, JournalEntry, Step
from messaging.runtime import journal
from tests.testapp.contracts import Doomed, Rejected
from tests.vendors.factories import UserFactory

ORIGIN = "http://testserver"


def session_cookie(user) -> str:
    """A real session for ``user`` (as a login makes), as its cookie value."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def socket_headers(user=None, *, origin: str | None = ORIGIN) -> list[tuple[bytes, bytes]]:
    """The handshake headers a browser sends: Host, Origin and (when ``user`` is given) the session cookie."""
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if user is not None:
        headers.append((b"cookie", f"sessionid={session_cookie(user)}".encode()))
    return headers


@pytest.fixture
def staff_user(transactional_db):
    return get_user_model().objects.create_user("operator", password="x", is_staff=True)


@pytest.fixture
def staff_headers(staff_user):
    return socket_headers(staff_user)


@pytest.fixture
def quick_tail(settings):
    """The journal tail polls every 20 ms, so live entries arrive at once."""
    settings.DASHBOARD_TAIL_INTERVAL = 0.02
    return settings


# --- Talking to the websocket through the real ASGI application ------------------------------------------------


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
    from marketplace.asgi import application  # origin check, session, routes: as daphne serves it

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


@pytest.fixture
def staff_client():
    """Django's test client, logged in as staff."""
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    return client


@pytest.fixture
def dead(db, run_deliveries):
    """Three dead letters: two Rejected (one handler each), one Doomed whose failing subscriber gave up."""
    for key in ("one", "two"):
        messaging.publish(Rejected(key=key))
    messaging.publish(Doomed(key="doomed"))
    run_deliveries()
    doomed = Delivery.objects.get(handler="tests.doomed_fails")
    doomed.status = DeliveryStatus.DEAD  # as if its last delayed retry had failed too
    doomed.save()
    return {d.message.payload["key"]: d for d in DeadLetter.objects.select_related("message")}
