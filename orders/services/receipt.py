"""The receipt e-mail a customer gets once the order is paid (in both styles: OrderPaid is a fact).

The trade-off lab's orders have no customer to write to: no receipt is sent, so that an
experiment of hundreds of orders does not fill the mail log (the delivery itself runs, as for any order).
"""

import logging
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from orders.models import Order
from orders.money import money

logger = logging.getLogger(__name__)


def receipt_send(*, order_id: UUID) -> None:
    """E-mail the customer what they paid for. Sent at least once: a retry may send it again."""
    order = Order.objects.prefetch_related("lines").get(pk=order_id)
    if order.experiment:
        logger.info("order %s of the trade-off lab (%s): receipt not sent", order.pk, order.experiment)
        return
    lines = [
        f"  {line.quantity} x {line.name} ({line.vendor_name})  {money(line.subtotal)}" for line in order.lines.all()
    ]
    send_mail(
        subject=f"Your order {str(order.pk)[:8]} is paid",
        message="\n".join(
            [
                f"Hello {order.customer_name},",
                "",
                "Thank you: we received your payment for",
                *lines,
                f"Total: {money(order.total)}",
                "",
                "We have told the vendors; your order's page shows how they get on:",
                order_url(order.pk),
            ]
        ),
        from_email=None,
        recipient_list=[order.customer_email],
    )


def order_url(order_id: UUID) -> str:
    """The order page's absolute address: a worker has no request to build it from, so SITE_URL says the host."""
    return settings.SITE_URL + reverse("orders:order", kwargs={"token": order_id})
