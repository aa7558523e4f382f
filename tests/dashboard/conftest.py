"""Fixtures for the dashboard tests: staff and other users' websocket headers, a quick journal tail."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

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
