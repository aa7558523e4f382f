"""Experiments in the admin: listed with their scenarios and a link to the dashboard, never edited there."""

import pytest
from django.urls import reverse

from marketplace.lab.models import Experiment

pytestmark = pytest.mark.django_db


def test_experiments_are_listed_read_only_with_a_link_to_their_page(admin_client):
    experiment = Experiment.objects.create(
        parameters={"scenarios": ["baseline", "flaky"], "orders": 50}, actor="cli:ada", status="finished", active=None
    )
    listing = admin_client.get(reverse("admin:lab_experiment_changelist"))
    assert listing.status_code == 200
    assert "baseline, flaky" in listing.text and "cli:ada" in listing.text
    page = admin_client.get(reverse("admin:lab_experiment_change", args=[experiment.pk]))
    assert reverse("dashboard:experiment", args=[experiment.pk]) in page.text
    assert 'name="_save"' not in page.text
    assert admin_client.get(reverse("admin:lab_experiment_add")).status_code == 403
