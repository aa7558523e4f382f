"""The admin writes moments as our own pages do: day, month, year, clock and zone."""

import re

import pytest
from django.test import Client

import messaging
from tests.testapp.contracts import Ping
from tests.vendors.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_lists_a_moment_with_its_zone():
    messaging.publish(Ping(key="admin"))
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/messaging/message/").content.decode()
    assert re.search(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d UTC", page)
    assert not re.search(r"\w{3}\. \d{1,2}, \d{4}, \d{1,2}:\d\d [ap]\.m\.", page)
