"""The Grafana dashboard in the repository queries only metrics that a real ``/metrics`` scrape serves."""

import json
import re
from pathlib import Path

import pytest

import messaging
from messaging.models import Delivery, DeliveryStatus
from tests.messaging.metrics_helpers import RECORDING_ENV, TOKEN, Scrape
from tests.processes import cluster_started, wait_until
from tests.testapp.contracts import Flaky, Ping

DASHBOARD = Path(__file__).resolve().parents[2] / "marketplace" / "grafana" / "messaging-dashboard.json"
METRIC_NAME = re.compile(r"\b(messaging_[a-z_]+)\b")


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def queried_metrics() -> dict[str, str]:
    """Each metric name a panel's query names, with the panel's title."""
    return {
        name: panel["title"]
        for panel in dashboard()["panels"]
        for target in panel["targets"]
        for name in METRIC_NAME.findall(target["expr"])
    }


def test_the_dashboard_is_importable_grafana_json_on_a_chosen_prometheus():
    board = dashboard()

    assert board["uid"] and board["title"]
    assert [variable["type"] for variable in board["templating"]["list"]] == ["datasource"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and all(target["expr"] for target in panel["targets"]), panel["title"]


@pytest.mark.django_db(transaction=True)
def test_every_metric_the_dashboard_queries_is_in_a_real_scrape(client, settings, tmp_path):
    # given a real cluster that records, and work through it: a success, a failure then its retry's success
    settings.METRICS_TOKEN = TOKEN
    cluster = cluster_started(log=tmp_path / "qcluster.log", env=RECORDING_ENV)
    try:
        flaky = messaging.publish(Flaky(key="grafana", fail_times=1))
        messaging.publish(Ping(key="grafana"))
        wait_until(
            lambda: (
                Delivery.objects.filter(message_id=flaky, status=DeliveryStatus.SUCCEEDED).exists()
                and not Delivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists()
            ),
            timeout=30,
            message="every delivery to succeed",
        )
    finally:
        cluster.stop()

    # when Prometheus scrapes
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    # then each metric a panel queries has samples in it
    assert response.status_code == 200
    served = {name for name, _ in Scrape(response.content.decode()).samples}
    queried = queried_metrics()
    assert len(queried) >= 9  # the panels' metrics were found at all
    missing = {name: title for name, title in queried.items() if name not in served}
    assert not missing, f"queried by the dashboard but not served: {missing}"
