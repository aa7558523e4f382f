"""Placing an order: checked against Orders' own catalog, priced, written. No message yet.

Every problem is collected and reported at once, in words a customer understands,
and nothing is written unless the whole order is valid.

The trade-off lab places orders here too, tagged with its run (``experiment``):
such an order holds only the lab's products, and the shop's orders never do,
so the lab's traffic stays out of the shop's stock and figures.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

import messaging
from orders.models import CatalogProduct, Order, OrderLine

MAX_QUANTITY = 99
NAME_MAX = Order._meta.get_field("customer_name").max_length
EMAIL_MAX = Order._meta.get_field("customer_email").max_length
EXPERIMENT_MAX = Order._meta.get_field("experiment").max_length


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int


class OrderRejected(Exception):
    """The order cannot be placed; ``errors`` says why, one sentence per problem.

    ``quantity_errors`` holds those of ``errors`` about one product's quantity, by product id, so the
    storefront can mark that product's field.
    """

    def __init__(self, errors: list[str], quantity_errors: dict[int, list[str]] | None = None):
        self.errors = list(errors)
        self.quantity_errors = dict(quantity_errors or {})
        super().__init__("; ".join(self.errors))


@messaging.atomic_retried
def order_place(
    *,
    customer_name: str,
    customer_email: str,
    lines: list[LineRequest],
    expected_prices: dict[int, Decimal] | None = None,
    experiment: str = "",
) -> Order:
    """Place an order at the catalog's current prices; ``expected_prices`` are those the customer saw.

    ``experiment``: the trade-off lab's run placing it, which may order only the lab's products.
    """
    if len(experiment) > EXPERIMENT_MAX:
        raise ValueError(f"an experiment's tag has at most {EXPERIMENT_MAX} characters (not {len(experiment)})")
    customer_name, customer_email = str(customer_name).strip(), str(customer_email).strip()
    errors = _customer_errors(customer_name, customer_email)
    # The other side's products are not for sale to this order: they are answered as unknown.
    on_sale = CatalogProduct.objects.filter(lab=bool(experiment))
    products = on_sale.in_bulk([line.product_id for line in lines if _is_int(line.product_id)])
    quantity_errors = {}
    errors += _line_errors(lines, products, expected_prices or {}, quantity_errors)
    if errors:
        raise OrderRejected(errors, quantity_errors)
    order = Order.objects.create(
        customer_name=customer_name,
        customer_email=customer_email,
        total=sum((products[line.product_id].price * line.quantity for line in lines), Decimal("0.00")),
        experiment=experiment,
    )
    OrderLine.objects.bulk_create([_line_snapshot(order, products[line.product_id], line) for line in lines])
    return order


def _line_snapshot(order: Order, product: CatalogProduct, line: LineRequest) -> OrderLine:
    """The line as sold: name, vendor and price are copied, later catalog changes do not touch it."""
    return OrderLine(
        order=order,
        product_id=product.product_id,
        vendor_id=product.vendor_id,
        vendor_name=product.vendor_name,
        name=product.name,
        unit_price=product.price,
        quantity=line.quantity,
    )


def _customer_errors(name: str, email: str) -> list[str]:
    errors = []
    if not name:
        errors.append("Please give your name.")
    elif len(name) > NAME_MAX:
        errors.append(f"Your name is too long: at most {NAME_MAX} characters.")
    if not email:
        errors.append("Please give your e-mail address.")
    elif len(email) > EMAIL_MAX:
        errors.append(f"Your e-mail address is too long: at most {EMAIL_MAX} characters.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"{email!r} is not a valid e-mail address.")
    return errors


def _line_errors(
    lines: list[LineRequest], products: dict[int, CatalogProduct], expected: dict, quantity_errors: dict
) -> list[str]:
    if not lines:
        return ["Your order is empty: choose at least one product."]
    errors, seen = [], set()
    for line in lines:
        product = products.get(line.product_id) if _is_int(line.product_id) else None
        if product is None:
            errors.append(f"Product {line.product_id} is not in the catalog (any more).")
            continue
        if line.product_id in seen:
            errors.append(f"{product.name} is listed twice: give one quantity.")
            continue
        seen.add(line.product_id)
        if wrong_quantity := _quantity_errors(line.quantity, product):
            errors += wrong_quantity
            quantity_errors[line.product_id] = wrong_quantity
        if (seen_price := expected.get(line.product_id)) is not None and _as_price(seen_price) != product.price:
            errors.append(f"The price of {product.name} changed from {seen_price} to {product.price}.")
    return errors


def _quantity_errors(quantity, product: CatalogProduct) -> list[str]:
    if not _is_int(quantity) or quantity < 1:
        return [f"The quantity of {product.name} must be a whole number from 1 to {MAX_QUANTITY}."]
    if quantity > MAX_QUANTITY:
        return [f"At most {MAX_QUANTITY} of {product.name} per order."]
    if product.stock == 0:
        return [f"{product.name} is out of stock."]
    if quantity > product.stock:
        return [f"Only {product.stock} of {product.name} left in stock."]
    return []


def _as_price(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:  # decimal.InvalidOperation: not a number at all
        return None


def _is_int(value) -> bool:
    """A real int (not a bool, not a numeric string)."""
    return isinstance(value, int) and not isinstance(value, bool)
