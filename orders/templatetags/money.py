from django import template

from orders.money import money as money_text

register = template.Library()


@register.filter
def money(amount):
    """``{{ line.subtotal|money }}`` -> €3.60."""
    return money_text(amount)
