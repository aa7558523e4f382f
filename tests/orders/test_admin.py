import pytest
from django.urls import reverse

from orders.models import CatalogProduct, Order, OrderLine, OrderVendor, Payment, StoreSettings
from tests.orders.factories import CatalogProductFactory, OrderFactory, StoreSettingsFactory, paid_order

pytestmark = pytest.mark.django_db

HISTORY = [Order, OrderLine, OrderVendor, Payment, CatalogProduct]


def url(model, view="changelist", *args) -> str:
    return reverse(f"admin:orders_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def orders():
    CatalogProductFactory()
    return {
        "paid": paid_order("notified", "waiting", style="command"),
        "placed": OrderFactory(customer_name="Grace Hopper", customer_email="grace@example.com"),
    }


def listed(response) -> list:
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize("model", HISTORY, ids=lambda m: m.__name__)
def test_every_changelist_and_change_page_renders_with_data(admin_client, orders, model):
    response = admin_client.get(url(model))
    assert response.status_code == 200
    rows = listed(response)
    assert rows, "the fixture should put rows in every table"
    assert admin_client.get(url(model, "change", rows[0].pk)).status_code == 200


@pytest.mark.parametrize("model", HISTORY, ids=lambda m: m.__name__)
def test_the_history_is_read_only(admin_client, orders, model):
    row = model.objects.first()
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.get(url(model, "delete", row.pk)).status_code == 403
    page = admin_client.get(url(model, "change", row.pk)).content.decode()
    assert 'type="submit" value="Save"' not in page


def test_an_orders_page_shows_its_lines_vendors_payments_and_a_link_to_its_messages(admin_client, orders):
    order = orders["paid"]
    page = admin_client.get(url(Order, "change", order.pk)).content.decode()
    for line in order.lines.all():
        assert line.name in page
    assert "Vendor 1" in page and "Vendor 2" in page
    assert order.payments.get().reference in page
    assert f"/admin/messaging/journalentry/?q={order.pk}" in page


def test_the_order_list_shows_short_id_customer_status_style_and_total(admin_client, orders):
    order = orders["paid"]
    page = admin_client.get(url(Order)).content.decode()
    for text in (str(order.pk)[:8], order.customer_name, "paid", "command", str(order.total)):
        assert text in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "paid"}, "paid"),
        ({"status": "placed"}, "placed"),
        ({"style": "command"}, "paid"),
        ({"q": "grace hopper"}, "placed"),
        ({"q": "GRACE@example.com"}, "placed"),
    ],
)
def test_orders_are_filtered_and_searched(admin_client, orders, query, expected):
    assert listed(admin_client.get(url(Order), query)) == [orders[expected]]


def test_orders_are_found_by_id_or_its_first_digits(admin_client, orders):
    order = orders["paid"]
    assert listed(admin_client.get(url(Order), {"q": str(order.pk)})) == [order]
    assert listed(admin_client.get(url(Order), {"q": str(order.pk)[:8]})) == [order]


def test_payments_are_found_by_reference_or_order(admin_client, orders):
    payment = orders["paid"].payments.get()
    assert listed(admin_client.get(url(Payment), {"q": payment.reference})) == [payment]
    assert listed(admin_client.get(url(Payment), {"q": str(payment.order_id)[:8]})) == [payment]
    assert listed(admin_client.get(url(Payment), {"q": "ch_nothing"})) == []


# The store's settings: one row, edited in place


def test_with_no_settings_yet_the_list_leads_to_the_defaults_to_edit_in_place(admin_client):
    response = admin_client.get(url(StoreSettings), follow=True)

    assert response.redirect_chain == [(url(StoreSettings, "change", 1), 302)]
    page = response.content.decode()
    assert "Save and add another" not in page
    assert "Add store settings" not in page
    assert response.context["adminform"].form["style"].value() == "event"
    assert not StoreSettings.objects.exists()  # shown, not written, until staff save


def test_with_settings_the_list_leads_to_the_one_row(admin_client):
    settings = StoreSettingsFactory()
    response = admin_client.get(url(StoreSettings))
    assert response.status_code == 302
    assert response.url == url(StoreSettings, "change", settings.pk)


def test_no_settings_row_can_be_added(admin_client):
    StoreSettingsFactory()
    assert admin_client.get(url(StoreSettings, "add")).status_code == 403
    response = admin_client.post(url(StoreSettings, "add"), {"style": "command", "vendor_timeout_seconds": 60})
    assert response.status_code == 403
    assert StoreSettings.objects.count() == 1


def test_the_settings_cannot_be_deleted(admin_client):
    settings = StoreSettingsFactory()
    assert admin_client.post(url(StoreSettings, "delete", settings.pk), {"post": "yes"}).status_code == 403
    assert StoreSettings.objects.filter(pk=settings.pk).exists()


def test_staff_switch_the_style_in_the_admin(admin_client):
    # given the store in event style
    settings = StoreSettingsFactory(style="event")
    # when staff choose command style
    response = admin_client.post(
        url(StoreSettings, "change", settings.pk), {"style": "command", "vendor_timeout_seconds": 120}
    )
    # then the one row says so
    assert response.status_code == 302
    settings.refresh_from_db()
    assert (settings.style, settings.vendor_timeout_seconds) == ("command", 120)
    assert StoreSettings.objects.count() == 1


def test_the_first_settings_are_saved_from_the_one_change_form(admin_client):
    response = admin_client.post(url(StoreSettings, "change", 1), {"style": "command", "vendor_timeout_seconds": 300})
    assert response.status_code == 302
    assert list(StoreSettings.objects.values_list("style", flat=True)) == ["command"]


@pytest.mark.parametrize("timeout", ["1", "-5", "abc", str(8 * 24 * 3600)])
def test_a_bad_timeout_is_refused_and_changes_nothing(admin_client, timeout):
    settings = StoreSettingsFactory(vendor_timeout_seconds=300)
    response = admin_client.post(
        url(StoreSettings, "change", settings.pk), {"style": "command", "vendor_timeout_seconds": timeout}
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["vendor_timeout_seconds"]
    settings.refresh_from_db()
    assert (settings.style, settings.vendor_timeout_seconds) == ("event", 300)


def test_orders_are_filtered_by_who_placed_them_and_the_labs_show_their_run(admin_client, orders):
    lab = OrderFactory(customer_name="Lab customer", experiment="run-2026-12-01-a")

    assert listed(admin_client.get(url(Order), {"placed_by": "lab"})) == [lab]
    assert set(listed(admin_client.get(url(Order), {"placed_by": "shop"}))) == {orders["paid"], orders["placed"]}
    assert "run-2026-12-01-a" in admin_client.get(url(Order)).content.decode()
    assert "run-2026-12-01-a" in admin_client.get(url(Order, "change", lab.pk)).content.decode()


def test_the_catalog_is_filtered_to_the_labs_products(admin_client, orders):
    lab = CatalogProductFactory(name="Lab product A1", lab=True)

    assert listed(admin_client.get(url(CatalogProduct), {"lab__exact": "1"})) == [lab]
