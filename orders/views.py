"""Orders' web edge: the storefront, the order page and its live parts. Forms check the shape
of the input, services decide; a refusal is shown on the page with the input kept."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from orders import selectors
from orders.forms import PRICE_PREFIX, QUANTITY_PREFIX, CardForm, OrderForm
from orders.models import Order, Payment
from orders.money import money
from orders.payment_gateway import TEST_CARDS
from orders.services.lifecycle import order_complete
from orders.services.payment import OrderStateError, order_pay
from orders.services.placing import LineRequest, OrderRejected, order_place

BAD_REQUEST = 400
CONFLICT = 409
QUIET_AFTER_FINISH = timedelta(seconds=10)
TEST_CARDS_SHOWN = [(" ".join(number[i : i + 4] for i in range(0, 16, 4)), does) for number, does in TEST_CARDS.items()]


def _catalog_products():
    """The catalog as one list, in the selector's vendor order (the form groups it again)."""
    return [product for group in selectors.catalog_by_vendor() for product in group.products]


def _storefront(request, form, *, status=200):
    return render(request, "orders/storefront.html", {"form": form}, status=status)


@require_GET
def storefront(request):
    return _storefront(request, OrderForm(products=_catalog_products()))


@require_http_methods(["GET", "POST"])
def order_create(request):
    if request.method == "GET":
        # The address a refused order is shown at: reloading it (or opening it) shows the storefront again.
        return redirect("orders:storefront")
    products = _catalog_products()
    form = OrderForm(request.POST, products=products)
    if not form.is_valid():
        return _storefront(request, form, status=BAD_REQUEST)
    try:
        order = order_place(
            customer_name=form.cleaned_data["customer_name"],
            customer_email=form.cleaned_data["customer_email"],
            lines=[LineRequest(product_id=pid, quantity=qty) for pid, qty in form.line_quantities().items()],
            expected_prices=form.expected_prices(),
        )
    except OrderRejected as rejected:
        marked = {error for errors in rejected.quantity_errors.values() for error in errors}
        for error in rejected.errors:
            if error not in marked:
                messages.error(request, error)
        # Keep the quantities, show today's prices: a second submit orders at the prices now on the page.
        form = _with_current_prices(request.POST, products)
        form.is_valid()
        for product_id, errors in rejected.quantity_errors.items():
            for error in errors:
                form.add_error(f"{QUANTITY_PREFIX}{product_id}", error)
        return _storefront(request, form, status=BAD_REQUEST)
    return redirect("orders:order", token=order.id)


def _with_current_prices(data, products):
    data = data.copy()
    for product in products:
        data[f"{PRICE_PREFIX}{product.product_id}"] = str(product.price)
    return OrderForm(data, products=products)


def _order_page(request, order, *, card_form=None, status=200):
    context = {
        "order": order,
        "lines": order.lines.order_by("vendor_name", "name"),
        "card_form": card_form or CardForm(initial={"name": order.customer_name}),
        "payments": order.payments.all(),
        "test_cards": TEST_CARDS_SHOWN,
        **_live_context(order),
    }
    return render(request, "orders/order.html", context, status=status)


def _live_context(order):
    timeline = selectors.order_timeline(order)
    return {
        "order": order,
        "progress": selectors.order_vendor_progress(order),
        "vendors_breaker": selectors.vendors_breaker(order),
        "timeline": timeline,
        "polling": _in_flight(order, timeline),
    }


def _in_flight(order, timeline) -> bool:
    """Worth polling: not finished, or finished so recently that its last messages may still be on the way."""
    if order.status not in (Order.Status.COMPLETED, Order.Status.CANCELLED):
        return True
    newest = timeline.last()
    return newest is not None and timezone.now() - newest.at < QUIET_AFTER_FINISH


@require_GET
def order_detail(request, token):
    return _order_page(request, selectors.order_for_token(token))


@require_http_methods(["GET", "POST"])
def order_payment(request, token):
    order = selectors.order_for_token(token)
    if request.method == "GET":
        return redirect("orders:order", token=order.id)  # a refused card's page, reloaded
    form = CardForm(request.POST)
    if not form.is_valid():
        return _order_page(request, order, card_form=form, status=BAD_REQUEST)
    try:
        payment = order_pay(order_id=order.id, card_number=form.cleaned_data["number"])
    except OrderStateError as refused:
        messages.error(request, str(refused))
        return _order_page(request, selectors.order_for_token(token), card_form=form, status=CONFLICT)
    if payment.status != Payment.Status.SUCCEEDED:
        messages.error(request, f"The payment did not go through ({payment.message}). Nothing was charged.")
        return _order_page(request, selectors.order_for_token(token), card_form=form)
    messages.success(
        request, f"Payment received: {money(payment.amount)} charged to the card ending {payment.card_last4}."
    )
    return redirect("orders:order", token=order.id)


@require_http_methods(["GET", "POST"])
def order_confirm(request, token):
    order = selectors.order_for_token(token)
    if request.method == "GET":
        return redirect("orders:order", token=order.id)
    try:
        order_complete(order_id=order.id)
    except OrderStateError as refused:
        messages.error(request, str(refused))
        return _order_page(request, selectors.order_for_token(token), status=CONFLICT)
    messages.success(request, "Thank you: receipt confirmed, the order is completed.")
    return redirect("orders:order", token=order.id)


@require_GET
def order_live(request, token):
    """The part of the order page that changes as messages come back, polled by htmx."""
    order = selectors.order_for_token(token)
    return render(request, "orders/_live.html", _live_context(order))
