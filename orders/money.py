"""Amounts as the customer reads them: with the store's currency (settings.CURRENCY, an ISO code)."""

from decimal import Decimal

from django.conf import settings

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def money(amount: Decimal | int | str | None) -> str:
    """``Decimal("1234.5")`` -> ``"€1,234.50"``; a currency without a symbol here is written after: ``"12.00 CHF"``."""
    if amount is None or amount == "":
        return ""
    value = f"{Decimal(amount):,.2f}"
    code = settings.CURRENCY
    symbol = SYMBOLS.get(code)
    return f"{symbol}{value}" if symbol else f"{value} {code}"
