"""An operator works through dead letters in a real browser: filters them, opens an order's flow, retries all
that match after being warned that their error was permanent, and archives one after confirming."""

import re
import secrets
import uuid

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Step
from messaging.runtime.context import correlated
from tests.browser.test_dashboard import log_in_as_staff
from tests.processes import wait_until
from vendors.contracts import VendorNotified
from vendors.services import vendor_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def dead_letters_for_unknown_orders(vendor_id: int, count: int) -> list[str]:
    """Vendors says it notified orders that Orders does not know: each dead-lettered at once (permanent)."""
    orders = [str(uuid.uuid4()) for _ in range(count)]
    for order_id in orders:
        with correlated(order_id):
            messaging.publish(VendorNotified(order_id=uuid.UUID(order_id), vendor_id=vendor_id))
    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.DEAD).count() == count,
        timeout=30,
        message=f"{count} dead letters",
    )
    return orders


def test_an_operator_filters_dead_letters_retries_all_matching_after_a_warning_and_archives_one(
    live_stack, operators_group, page: Page, screenshot
):
    # given three dead letters of a permanent error, and an operator
    bakery = vendor_create(name="Corner Bakery", kind="store")
    orders = dead_letters_for_unknown_orders(bakery.pk, 3)
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("operator", password=password, is_staff=True).groups.add(operators_group)
    page.goto("/dashboard/dead-letters/")
    log_in_as_staff(page, "operator", password)

    # when the operator filters them by words of their error
    page.get_by_label("Error contains").fill("unknown order")
    page.get_by_role("button", name="Filter").click()

    # then each row shows its order, linked to its flow, and its error
    rows = page.locator("#dead-letters tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("for an unknown order or vendor")
    screenshot(page, "dead-letters-filtered")

    # when they retry all that match, they are warned first that the error was permanent, and go on
    page.get_by_role("button", name="Retry all 3").click()
    expect(page.locator(".warning").first).to_contain_text("3 of them were dead-lettered for a permanent error")
    screenshot(page, "retry-confirmation")
    page.get_by_role("button", name="Retry anyway").click()
    expect(page.get_by_role("status")).to_contain_text("Retried 3 dead letters matching")
    # (the orders are still unknown: they are dead-lettered again, as the warning said)
    wait_until(
        lambda: JournalEntry.objects.filter(step=Step.DEAD_LETTERED).count() == 6,
        timeout=30,
        message="the retried dead letters to fail the same way",
    )

    # when they archive one, after confirming
    page.goto("/dashboard/dead-letters/")
    row = rows.filter(has_text=orders[0][:8])
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Archive selected").click()
    expect(page.locator(".warning").first).to_contain_text("leave the outbox for good")
    page.get_by_role("button", name="Archive", exact=True).click()

    # then it is gone, journaled with the operator's name, and the others wait
    expect(page.get_by_role("status")).to_contain_text("Archived 1 dead letter selected")
    expect(rows).to_have_count(2)
    (entry,) = JournalEntry.objects.filter(step=Step.ARCHIVED)
    assert (entry.correlation_id, entry.actor) == (orders[0], "user:operator")

    # and an order's link opens its flow
    rows.first.locator("td.correlation a").click()
    expect(page).to_have_url(re.compile(r"/dashboard/flow/[0-9a-f-]{36}/$"))
