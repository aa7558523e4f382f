"""The browser machinery works: Chromium reaches the live daphne, static files are served, screenshots land."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_login_page_opens_in_a_real_browser_with_its_styles(page: Page, screenshot):
    # when
    page.goto("/admin/login/")

    # then
    expect(page).to_have_title("Log in | Django site admin")
    expect(page.get_by_label("Username")).to_be_visible()
    styles = page.request.get("/static/admin/css/base.css")
    assert styles.ok, f"static files are not served: {styles.status}"
    assert screenshot(page, "admin-login").stat().st_size > 0
