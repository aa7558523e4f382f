"""The fault lab's admin: staff break a context and restore it; bad values are refused with a reason."""

import pytest
from django.urls import reverse

from messaging.models import FaultSetting, JournalEntry, Step

LIST = reverse("admin:messaging_faultsetting_changelist")


def change_url(context: str) -> str:
    return reverse("admin:messaging_faultsetting_change", args=[context])


def change_form(**values) -> dict:
    return {"latency_ms": "0", "failure_rate": "0", **values}


def list_form(rows: list[FaultSetting], **changes) -> dict:
    """The changelist's editable formset, with ``changes`` applied to the first row."""
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, row in enumerate(rows):
        values = {"latency_ms": row.latency_ms, "failure_rate": row.failure_rate, "unavailable": row.unavailable}
        if i == 0:
            values.update(changes)
        data[f"form-{i}-context"] = row.context
        data[f"form-{i}-latency_ms"] = str(values["latency_ms"])
        data[f"form-{i}-failure_rate"] = str(values["failure_rate"])
        if values["unavailable"]:
            data[f"form-{i}-unavailable"] = "on"
    return data


def form_errors(response) -> list[str]:
    form = response.context["adminform"].form
    return [error for errors in form.errors.values() for error in errors]


def test_staff_can_make_a_context_unavailable_with_latency_and_failures(admin_client):
    response = admin_client.post(
        change_url("vendors"), change_form(unavailable="on", latency_ms="250", failure_rate="30")
    )

    assert response.status_code == 302
    fault = FaultSetting.objects.get()
    assert (fault.context, fault.unavailable, fault.latency_ms, fault.failure_rate) == ("vendors", True, 250, 30)


def test_the_list_has_a_healthy_row_ready_for_every_context_that_has_handlers(admin_client):
    page = admin_client.get(LIST)

    contexts = [row.context for row in page.context["cl"].result_list]
    assert {"orders", "vendors"} <= set(contexts)
    assert "marketplace" not in contexts  # no handler there: a fault would do nothing
    assert not any(fault.is_active for fault in FaultSetting.objects.all())
    assert not JournalEntry.objects.filter(step=Step.CONTROL).exists()  # nothing changed, nothing journaled


def test_a_fault_is_edited_in_place_never_added_or_deleted(admin_client):
    page = admin_client.get(change_url("vendors")).content.decode()

    assert admin_client.get(reverse("admin:messaging_faultsetting_add")).status_code == 403
    assert "Save and add another" not in page
    assert "Delete" not in page
    assert admin_client.get(change_url("payments")).status_code == 302  # no such context: back to the list


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"failure_rate": "101"}, "The failure rate is a percentage: 0 to 100."),
        ({"failure_rate": "-1"}, "The failure rate is a percentage: 0 to 100."),
        ({"failure_rate": "lots"}, "Enter the failure rate as a whole number from 0 to 100."),
        ({"latency_ms": "30001"}, "The latency is at most 30000 ms (30 seconds)."),
        ({"latency_ms": "-5"}, "The latency cannot be negative."),
        ({"latency_ms": "1.5"}, "Enter the latency as a whole number of milliseconds."),
    ],
    ids=["rate-over-100", "negative-rate", "rate-not-a-number", "latency-over-30s", "negative-latency",
         "latency-not-whole"],
)  # fmt: skip
def test_an_out_of_range_value_is_refused_with_a_clear_message_and_nothing_is_saved(admin_client, values, message):
    response = admin_client.post(change_url("vendors"), change_form(**values))

    assert response.status_code == 200
    assert form_errors(response) == [message]
    assert not FaultSetting.objects.exists()


def test_the_change_page_edits_the_fault_but_not_its_context(admin_client):
    FaultSetting.objects.create(context="vendors", unavailable=True)

    response = admin_client.post(change_url("vendors"), {"context": "orders", "latency_ms": "0", "failure_rate": "5"})

    assert response.status_code == 302
    fault = FaultSetting.objects.get()
    assert (fault.context, fault.unavailable, fault.failure_rate) == ("vendors", False, 5)


def test_the_list_shows_each_context_with_its_fault_and_restores_one_in_place(admin_client):
    down = FaultSetting.objects.create(context="vendors", unavailable=True, failure_rate=20)
    slow = FaultSetting.objects.create(context="orders", latency_ms=500)
    page = admin_client.get(LIST)
    rows = list(page.context["cl"].result_list)
    assert [row.context for row in rows if row.context in ("orders", "vendors")] == ["orders", "vendors"]
    assert "Updated at" in page.content.decode()

    rows.sort(key=lambda row: row.context != "vendors")  # list_form changes the first row
    response = admin_client.post(LIST, list_form(rows, unavailable=False, failure_rate=0))

    assert response.status_code == 302
    down.refresh_from_db()
    slow.refresh_from_db()
    assert (down.unavailable, down.failure_rate) == (False, 0)
    assert slow.latency_ms == 500


def test_an_out_of_range_value_in_the_list_is_refused_and_nothing_changes(admin_client):
    down = FaultSetting.objects.create(context="vendors", unavailable=True)

    response = admin_client.post(LIST, list_form([down], unavailable=False, failure_rate=150))

    assert response.status_code == 200
    errors = response.context["cl"].formset.errors
    assert errors == [{"failure_rate": ["The failure rate is a percentage: 0 to 100."]}]
    down.refresh_from_db()
    assert (down.unavailable, down.failure_rate) == (True, 0)


def test_every_save_is_journaled_with_the_admin_as_the_actor_list_edits_too(admin_client, admin_user):
    admin_client.post(change_url("vendors"), change_form(latency_ms="100"))
    down = FaultSetting.objects.get()
    admin_client.post(LIST, list_form([down], unavailable=True))

    entries = JournalEntry.objects.filter(step=Step.CONTROL).order_by("seq")
    assert [(e.context, e.actor, e.detail) for e in entries] == [
        ("vendors", f"admin:{admin_user.username}", "fault lab: vendors +100 ms"),
        ("vendors", f"admin:{admin_user.username}", "fault lab: vendors unavailable, +100 ms"),
    ]


def test_a_context_is_restored_by_its_action_not_deleted(admin_client):
    FaultSetting.objects.create(context="vendors", unavailable=True, latency_ms=300)

    admin_client.post(LIST, {"action": "restore", "_selected_action": ["vendors"]})

    assert not FaultSetting.objects.get(context="vendors").is_active
    assert admin_client.get(reverse("admin:messaging_faultsetting_delete", args=["vendors"])).status_code == 403
