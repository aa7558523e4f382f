"""Orders' handlers: thin, they call a service.

Vendors' answers drive the order's lifecycle (``services.lifecycle``); the
catalog events keep Orders' read model; OrderPaid also sends the receipt.
A message about an order that does not exist cannot succeed by retrying: it is
dead-lettered at once (``PermanentError``), for an operator to look at.
"""

import functools

import messaging
from messaging import PermanentError, handler, reply_handler
from orders.contracts import CheckVendorResponses, OrderPaid
from orders.models import Order, OrderVendor
from orders.services import catalog, lifecycle, receipt
from orders.services.payment import NOTIFY_VENDOR_REPLY
from vendors.contracts import (
    OrderPrepared,
    ProductListed,
    ProductPriceChanged,
    ProductStockChanged,
    StockUnavailable,
    VendorAccepted,
    VendorNotified,
)


def about_known_orders(func):
    """Turn "no such order (or vendor in it)" into a permanent failure: a retry would not find it either."""

    @functools.wraps(func)
    def run(message):
        try:
            return func(message)
        except (Order.DoesNotExist, OrderVendor.DoesNotExist) as error:
            raise PermanentError(f"{type(message).__name__} for an unknown order or vendor: {error}") from error

    return run


@handler(ProductListed)
def catalog_add_product(event: ProductListed) -> None:
    catalog.catalog_product_listed(event)


@handler(ProductPriceChanged)
def catalog_change_price(event: ProductPriceChanged) -> None:
    catalog.catalog_price_changed(event)


@handler(ProductStockChanged)
def catalog_change_stock(event: ProductStockChanged) -> None:
    catalog.catalog_stock_changed(event)


@handler(VendorNotified)
@about_known_orders
def vendor_notified(event: VendorNotified) -> None:
    lifecycle.order_vendor_notified(order_id=event.order_id, vendor_id=event.vendor_id)


@handler(VendorAccepted)
@about_known_orders
def vendor_accepted(event: VendorAccepted) -> None:
    lifecycle.order_vendor_accepted(order_id=event.order_id, vendor_id=event.vendor_id)


@handler(OrderPrepared)
@about_known_orders
def vendor_prepared(event: OrderPrepared) -> None:
    lifecycle.order_vendor_prepared(order_id=event.order_id, vendor_id=event.vendor_id)


@handler(StockUnavailable)
@about_known_orders
def vendor_stock_unavailable(event: StockUnavailable) -> None:
    lifecycle.order_stock_unavailable(order_id=event.order_id, vendor_id=event.vendor_id, product_ids=event.product_ids)


@handler(CheckVendorResponses)
@about_known_orders
def check_vendor_responses(command: CheckVendorResponses) -> dict:
    order = lifecycle.order_vendor_responses_check(order_id=command.order_id)
    return {"status": order.status}


@reply_handler(name=NOTIFY_VENDOR_REPLY)
@about_known_orders
def notify_vendor_outcome(outcome: messaging.CommandOutcome) -> None:
    lifecycle.order_notify_outcome(
        command_id=outcome.command_id,
        succeeded=outcome.status == "succeeded",
        error=outcome.error,
        result=outcome.result,
    )


@handler(OrderPaid)
@about_known_orders
def receipt_email(event: OrderPaid) -> None:
    receipt.receipt_send(order_id=event.order_id)
