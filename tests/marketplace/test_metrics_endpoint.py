"""``/metrics``: absent without a token, then only for its bearer, GET only, in Prometheus' formats."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.messaging.metrics_helpers import TOKEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def test_metrics_are_absent_until_a_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404
    assert client.post("/metrics").status_code == 404  # not even a 405 says it is there

    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer ünïcode"],
)
def test_anything_but_the_bearer_token_is_refused_saying_nothing_else(client, token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"messaging_" not in response.content and len(response.content) < 100


def test_the_bearer_gets_the_metrics_in_prometheus_text_format(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}")  # the scheme is case-insensitive

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    families = {family.name: family.type for family in text_string_to_metric_families(response.content.decode())}
    assert families["messaging_deliveries"] == "gauge"
    assert families["messaging_handler_paused"] == "gauge"


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(client, token):
    accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1"

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_ACCEPT=accept)

    assert response["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert response.content.endswith(b"# EOF\n")


@pytest.mark.parametrize("method", ["post", "put", "delete", "head"])
def test_only_get_is_allowed(client, token, method):
    response = getattr(client, method)("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405
    assert response["Allow"] == "GET"
