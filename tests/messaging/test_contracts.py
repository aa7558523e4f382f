import re
import uuid

import pytest
from pydantic import ValidationError

from messaging import Command, DuplicateMessageError, Event
from messaging.runtime.registry import registry
from orders.contracts import CheckVendorResponses, OrderPaid
from tests.testapp.contracts import Ping, Positive
from vendors.contracts import NotifyVendor


def test_a_message_is_named_after_its_context_and_class():
    assert (OrderPaid.name, OrderPaid.context, OrderPaid.kind, OrderPaid.version) == (
        "orders.OrderPaid",
        "orders",
        "event",
        1,
    )
    assert (NotifyVendor.name, NotifyVendor.kind) == ("vendors.NotifyVendor", "command")


def test_defined_messages_are_registered_under_their_name():
    assert registry.message_type("orders.CheckVendorResponses") is CheckVendorResponses
    assert registry.message_type("tests.Ping") is Ping


def test_an_explicit_name_is_kept_across_a_rename():
    class RenamedShipment(Event):
        name = "tests.ShipmentDispatched"
        parcel: str

    assert RenamedShipment.name == "tests.ShipmentDispatched"
    assert registry.message_type("tests.ShipmentDispatched") is RenamedShipment


def test_the_payload_is_plain_json():
    order_id = uuid.uuid4()

    payload = NotifyVendor(order_id=order_id, vendor_id=3, lines=[{"product_id": 7, "quantity": 2}]).payload()

    assert payload == {"order_id": str(order_id), "vendor_id": 3, "lines": [{"product_id": 7, "quantity": 2}]}


def test_a_payload_is_validated_on_construction():
    with pytest.raises(ValidationError, match="greater than 0"):
        Positive(number=0)
    with pytest.raises(ValidationError, match="at least 1 item"):
        NotifyVendor(order_id=uuid.uuid4(), vendor_id=1, lines=[])


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Ping(key="k", colour="red")


def test_a_message_cannot_be_changed_after_construction():
    ping = Ping(key="k")

    with pytest.raises(ValidationError, match="frozen"):
        ping.key = "other"

    assert ping.key == "k"


def test_a_second_class_cannot_take_a_registered_name():
    with pytest.raises(DuplicateMessageError, match=re.escape("'tests.Ping' is used by both")):

        class Ping(Event):  # same context and class name as tests.testapp.contracts.Ping
            key: int

    assert registry.message_type("tests.Ping").model_fields["key"].annotation is str


def test_a_same_named_class_in_another_module_of_the_context_is_refused():
    # Two module-level classes share a qualname; only their modules tell them apart.
    with pytest.raises(DuplicateMessageError, match=re.escape("tests.messaging.elsewhere.Ping")):

        class Ping(Command):
            __module__ = "tests.messaging.elsewhere"
            __qualname__ = "Ping"
            key: int

    assert registry.message_type("tests.Ping").kind == "event"


def test_a_field_may_not_hide_the_messages_own_name():
    with pytest.raises(TypeError, match=re.escape("field(s) ['name'] would hide the message's own")):

        class Labelled(Event):
            name: str
