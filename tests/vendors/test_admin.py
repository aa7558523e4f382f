import pytest
from django.urls import reverse

from orders.services import order_place
from vendors.models import Vendor, VendorNotification
from vendors.services import vendor_notify


@pytest.fixture
def notification(db):
    vendor = Vendor.objects.create(name="Acme")
    order = order_place(customer_name="Ada Lovelace", vendor_ids=[vendor.pk])
    return vendor_notify(vendor_id=vendor.pk, order_id=order.pk)


def test_vendor_list_page_and_edit(admin_client, notification):
    vendor = notification.vendor

    assert admin_client.get(reverse("admin:vendors_vendor_changelist")).status_code == 200
    response = admin_client.post(reverse("admin:vendors_vendor_change", args=[vendor.pk]), {"name": "Acme Ltd"})

    assert response.status_code == 302
    vendor.refresh_from_db()
    assert (vendor.name, vendor.active) == ("Acme Ltd", False)


def test_notification_history_renders_and_is_found_by_order_id(admin_client, notification):
    changelist = reverse("admin:vendors_vendornotification_changelist")

    found = admin_client.get(changelist, {"q": str(notification.order_id)})
    page = admin_client.get(reverse("admin:vendors_vendornotification_change", args=[notification.pk]))

    assert [n.pk for n in found.context["cl"].result_list] == [notification.pk]
    assert page.status_code == 200


def test_notification_history_is_read_only(admin_client, notification):
    change = reverse("admin:vendors_vendornotification_change", args=[notification.pk])

    assert admin_client.get(reverse("admin:vendors_vendornotification_add")).status_code == 403
    assert admin_client.post(change, {"order_id": str(notification.order_id)}).status_code == 403
    assert VendorNotification.objects.filter(pk=notification.pk).exists()
