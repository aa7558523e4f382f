"""A dashboard socket lives no longer than its login: a logout through the real logout view closes the sockets of
that session with 4401 at once, and a socket whose session ended some other way (deleted, user deactivated or no
longer staff) is closed with 4401 at its next frame once the check interval has passed. Through the real ASGI
application and channel layer, as in test_consumer.py."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from marketplace.dashboard import consumers, protocol
from tests.dashboard.conftest import ORIGIN, close_code, connected, frames_until_live, run

pytestmark = pytest.mark.django_db(transaction=True)


class Browser:
    """One browser: its own login (a real session, as the login view makes) and its cookie for the socket."""

    def __init__(self, user):
        self.client = Client()
        self.client.force_login(user)
        self.session_key = self.client.cookies["sessionid"].value

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        cookie = f"sessionid={self.session_key}".encode()
        return [(b"host", b"testserver"), (b"origin", ORIGIN.encode()), (b"cookie", cookie)]

    async def log_out(self):
        response = await database_sync_to_async(self.client.post)(reverse("logout"))
        assert response.status_code == 200  # LogoutView's "Logged out" page


def staff(username: str):
    return get_user_model().objects.create_user(username, password="x", is_staff=True)


async def still_open(communicator) -> bool:
    """The socket answers a ping (what a closed one cannot)."""
    await communicator.send_json_to({"ping": "there?"})
    output = await communicator.receive_output(3)
    return output.get("text") == protocol.pong_frame("there?")


def test_logging_out_closes_that_browser_s_socket_with_4401_and_another_user_s_socket_stays_open():
    ada, grace = Browser(staff("ada")), Browser(staff("grace"))

    async def scenario():
        leaving = await connected("/ws/dashboard/", ada.headers)
        staying = await connected("/ws/dashboard/", grace.headers)
        await frames_until_live(leaving)
        await frames_until_live(staying)
        await ada.log_out()
        code = await close_code(leaving)
        other_open = await still_open(staying)
        await staying.disconnect()
        return code, other_open

    code, other_open = run(scenario)

    assert code == protocol.CLOSE_LOGGED_OUT == 4401
    assert other_open


def test_the_same_user_s_socket_in_another_browser_stays_open_as_that_browser_is_still_logged_in():
    user = staff("ada")
    laptop, desktop = Browser(user), Browser(user)

    async def scenario():
        leaving = await connected("/ws/dashboard/", laptop.headers)
        staying = await connected("/ws/dashboard/", desktop.headers)
        await frames_until_live(leaving)
        await frames_until_live(staying)
        await laptop.log_out()
        code = await close_code(leaving)
        other_open = await still_open(staying)
        await staying.disconnect()
        return code, other_open

    code, other_open = run(scenario)

    assert code == protocol.CLOSE_LOGGED_OUT
    assert other_open


def delete_session(browser, user):
    Session.objects.filter(session_key=browser.session_key).delete()


def deactivate(browser, user):
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)


def no_longer_staff(browser, user):
    get_user_model().objects.filter(pk=user.pk).update(is_staff=False)


def change_password(browser, user):
    user.set_password("a-new-password")  # as a password change elsewhere: this session's hash no longer matches
    user.save()


@pytest.mark.parametrize("end", [delete_session, deactivate, no_longer_staff, change_password])
def test_a_socket_whose_session_ended_elsewhere_is_closed_with_4401_at_its_next_frame(monkeypatch, end):
    monkeypatch.setattr(consumers, "SESSION_CHECK_EVERY", 0)
    user = staff("ada")
    browser = Browser(user)

    async def scenario():
        communicator = await connected("/ws/dashboard/", browser.headers)
        await frames_until_live(communicator)
        open_before = await still_open(communicator)
        await database_sync_to_async(end)(browser, user)
        await communicator.send_json_to({"ping": "next frame"})
        return open_before, await close_code(communicator)

    open_before, code = run(scenario)

    assert open_before
    assert code == protocol.CLOSE_LOGGED_OUT


def test_between_checks_a_frame_does_not_ask_the_database(monkeypatch):
    monkeypatch.setattr(consumers, "SESSION_CHECK_EVERY", 3600)
    browser = Browser(staff("ada"))

    async def scenario():
        communicator = await connected("/ws/dashboard/", browser.headers)
        await frames_until_live(communicator)
        await database_sync_to_async(delete_session)(browser, None)
        answered = await still_open(communicator)  # not checked yet: within the interval
        await communicator.disconnect()
        return answered

    assert run(scenario)
