"""The site has an icon: linked from every page, and /favicon.ico (where browsers look first) leads to it."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_served_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/marketplace/favicon.svg"
    assert finders.find("marketplace/favicon.svg")


def test_every_page_links_the_icon(client):
    page = client.get("/").content.decode()

    assert '<link rel="icon" href="/static/marketplace/favicon.svg" type="image/svg+xml">' in page
