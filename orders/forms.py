"""The storefront's two forms: the shape of the input only. The services decide what is allowed."""

import re
from datetime import date
from decimal import Decimal
from itertools import groupby

from django import forms
from django.utils import timezone

MAX_QUANTITY = 99
QUANTITY_PREFIX = "quantity_"
PRICE_PREFIX = "price_"
_POSTED_PRODUCT = re.compile(rf"^{QUANTITY_PREFIX}(\d{{1,9}})$")


class OrderForm(forms.Form):
    """Customer details plus one quantity (blank = 0) and one expected price per catalog product.

    A posted product that is no longer in the catalog gets a quantity field too, so
    its line reaches ``order_place`` and is rejected there with a clear message.
    """

    customer_name = forms.CharField(label="Your name", max_length=100)
    customer_email = forms.EmailField(label="Your e-mail", max_length=254)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        product_ids = [product.product_id for product in self.products]
        for product in self.products:
            self._add_product_fields(product.product_id, product.name, product.price)
            if not product.stock:
                # Only the input is disabled: a page from before it sold out still posts it, and is told so.
                self.fields[f"{QUANTITY_PREFIX}{product.product_id}"].widget.attrs["disabled"] = True
        for product_id in self._posted_unknown_product_ids(set(product_ids)):
            self._add_product_fields(product_id, f"product #{product_id}", None)

    def _add_product_fields(self, product_id, name, price):
        self.fields[f"{QUANTITY_PREFIX}{product_id}"] = forms.IntegerField(
            label=f"Quantity of {name}",
            required=False,
            min_value=0,
            max_value=MAX_QUANTITY,
            error_messages={
                "invalid": f"Quantity of {name}: enter a whole number.",
                "min_value": f"Quantity of {name}: enter 0 or more.",
                "max_value": f"Quantity of {name}: at most {MAX_QUANTITY} per order.",
            },
            widget=forms.NumberInput(attrs={"min": 0, "max": MAX_QUANTITY, "inputmode": "numeric"}),
        )
        self.fields[f"{PRICE_PREFIX}{product_id}"] = forms.DecimalField(
            required=False,
            max_digits=10,
            decimal_places=2,
            initial=price,
            widget=forms.HiddenInput,
            error_messages={"invalid": f"The page's price of {name} is not a price: reload the page."},
        )

    def _posted_unknown_product_ids(self, known: set[int]) -> list[int]:
        if not self.is_bound:
            return []
        posted = (_POSTED_PRODUCT.match(key) for key in self.data)
        return sorted({int(match[1]) for match in posted if match} - known)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.line_quantities():
            raise forms.ValidationError("Your order is empty: choose a quantity of at least one product.")
        return cleaned

    def line_quantities(self) -> dict[int, int]:
        """Product id -> quantity, for the lines with a quantity above 0 (call once cleaned)."""
        return {
            int(name.removeprefix(QUANTITY_PREFIX)): value
            for name, value in self.cleaned_data.items()
            if name.startswith(QUANTITY_PREFIX) and value
        }

    def expected_prices(self) -> dict[int, Decimal]:
        """Product id -> the price the customer saw, for the ordered lines (call once cleaned)."""
        prices = {}
        for product_id in self.line_quantities():
            price = self.cleaned_data.get(f"{PRICE_PREFIX}{product_id}")
            if price is not None:
                prices[product_id] = price
        return prices

    def running_total(self) -> Decimal:
        """What the quantities on the page come to, at the page's prices (the script keeps it up to date)."""
        total = Decimal("0.00")
        if not self.is_bound:
            return total
        for product in self.products:
            quantity = str(self.data.get(f"{QUANTITY_PREFIX}{product.product_id}", "")).strip()
            if quantity.isdigit() and int(quantity) <= MAX_QUANTITY:
                total += product.price * int(quantity)
        return total

    def vendor_rows(self):
        """[(vendor name, [(product, quantity field), ...]), ...] in catalog order, for the template."""
        rows = [(product, self[f"{QUANTITY_PREFIX}{product.product_id}"]) for product in self.products]
        by_vendor = groupby(rows, key=lambda row: (row[0].vendor_id, row[0].vendor_name))
        return [(vendor_name, list(vendor_rows)) for (_, vendor_name), vendor_rows in by_vendor]

    def error_summary(self) -> list[str]:
        """Every error of the form, each readable on its own (the messages name their product)."""
        return [error for errors in self.errors.values() for error in errors]


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


class CardForm(forms.Form):
    """A simulated card: checked for shape here; the (simulated) gateway decides the charge."""

    number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    expiry = forms.CharField(
        label="Expiry (MM/YY)",
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY", "maxlength": 5}),
    )
    cvc = forms.CharField(
        label="CVC",
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "maxlength": 4}),
    )
    name = forms.CharField(
        label="Name on card", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "cc-name"})
    )

    def clean_number(self):
        number = self.cleaned_data["number"]
        if not re.fullmatch(r"[\d ]+", number):
            raise forms.ValidationError("A card number has only digits and spaces.")
        digits = number.replace(" ", "")
        if not 12 <= len(digits) <= 19:
            raise forms.ValidationError("A card number has 12 to 19 digits.")
        if not luhn_valid(digits):
            raise forms.ValidationError("This card number is mistyped (its check digit does not match).")
        return digits

    def clean_expiry(self):
        expiry = self.cleaned_data["expiry"].strip()
        match = re.fullmatch(r"(\d{2})/(\d{2})", expiry)
        if not match or not 1 <= int(match[1]) <= 12:
            raise forms.ValidationError("Enter the expiry as MM/YY, for example 04/30.")
        month, year = int(match[1]), 2000 + int(match[2])
        today = timezone.localdate()
        if date(year, month, 1) < today.replace(day=1):
            raise forms.ValidationError("This card has expired.")
        return expiry

    def clean_cvc(self):
        cvc = self.cleaned_data["cvc"].strip()
        if not re.fullmatch(r"\d{3,4}", cvc):
            raise forms.ValidationError("The CVC is the 3 or 4 digits on the back of the card.")
        return cvc
