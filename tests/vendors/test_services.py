import uuid

import pytest

from messaging.models import Message
from tests.factories import VendorFactory
from vendors.models import VendorNotification
from vendors.services import vendor_notify

pytestmark = pytest.mark.django_db


def messages_of(message_type):
    return list(Message.objects.filter(type=message_type).values_list("payload", flat=True))


def test_notifying_a_vendor_records_it_and_publishes_vendor_notified():
    vendor, order_id = VendorFactory(), uuid.uuid4()

    notification = vendor_notify(vendor_id=vendor.pk, order_id=order_id)

    assert (notification.vendor, notification.order_id) == (vendor, order_id)
    assert messages_of("vendors.VendorNotified") == [{"order_id": str(order_id), "vendor_id": vendor.pk}]


def test_notifying_a_vendor_twice_of_one_order_tells_it_once():
    vendor, order_id = VendorFactory(), uuid.uuid4()

    first = vendor_notify(vendor_id=vendor.pk, order_id=order_id)
    second = vendor_notify(vendor_id=vendor.pk, order_id=order_id)

    assert first == second
    assert VendorNotification.objects.count() == 1
    assert len(messages_of("vendors.VendorNotified")) == 1


def test_a_vendor_is_told_about_each_of_its_orders():
    vendor = VendorFactory()

    vendor_notify(vendor_id=vendor.pk, order_id=uuid.uuid4())
    vendor_notify(vendor_id=vendor.pk, order_id=uuid.uuid4())

    assert vendor.notifications.count() == 2


def test_an_unknown_vendor_cancels_the_order_instead():
    order_id = uuid.uuid4()

    assert vendor_notify(vendor_id=404, order_id=order_id) is None

    assert not VendorNotification.objects.exists()
    assert messages_of("vendors.VendorNotified") == []
    assert messages_of("orders.CancelOrder") == [{"order_id": str(order_id), "reason": "vendor 404 cannot take orders"}]


def test_an_inactive_vendor_cancels_the_order_instead():
    vendor, order_id = VendorFactory(active=False), uuid.uuid4()

    assert vendor_notify(vendor_id=vendor.pk, order_id=order_id) is None

    assert not VendorNotification.objects.exists()
    assert messages_of("orders.CancelOrder") == [
        {"order_id": str(order_id), "reason": f"vendor {vendor.pk} cannot take orders"}
    ]
