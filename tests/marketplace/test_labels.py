"""Step names and statuses read in one case everywhere: sentence case ("Retry scheduled", "Dead letter")."""

import json
import re

import pytest
from django.urls import reverse

import messaging
from messaging.runtime.context import correlated
from orders.services.placing import LineRequest, order_place
from tests.orders.factories import CatalogProductFactory
from tests.testapp.contracts import Ping

pytestmark = pytest.mark.django_db


def test_the_order_timeline_names_its_steps_in_sentence_case(client):
    apples = CatalogProductFactory(name="Apples")
    order = order_place(
        customer_name="Ada", customer_email="ada@example.com", lines=[LineRequest(apples.product_id, 1)]
    )
    with correlated(str(order.pk)):
        messaging.publish(Ping(key="p"))

    page = client.get(f"/orders/{order.pk}/").content.decode()

    assert re.search(r"<td>Published</td>", page)
    assert 'id="order-status">Placed<' in page


def test_the_live_stream_labels_every_step_in_sentence_case(admin_client):
    page = admin_client.get(reverse("dashboard:stream")).content.decode()

    labels = json.loads(re.search(r'<script id="step-labels" type="application/json">(.*?)</script>', page)[1])
    assert labels["retry_scheduled"] == "Retry scheduled"
    assert labels["dead_lettered"] == "Dead-lettered"
    assert all(label[0].isupper() for label in labels.values())
