"""How every page of ours writes a moment and a duration: ``{% load marketplace_time %}``.

    {{ order.created_at|timestamp }}              30 Nov 2026, 16:40:32 UTC
    {{ delivery.available_at|timestamp:"relative" }}  in 12 s (the absolute time on hover)
    {{ t.p95_ms|duration_ms }}                    12.5 ms, 42 s, 3 min 10 s
    {{ delivery|next_attempt:holds }}             in 12 s, or why a due one waits: held by open breaker, probes in 8 s

Both write a ``<time>`` element that ``static/marketplace/time.js`` (``marketplaceTime``) writes the same way
in the browser, and keeps relative ones current. Times are in the site's zone (``TIME_ZONE``), always named.
"""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def absolute(moment: datetime, *, precise: bool = False) -> str:
    """``30 Nov 2026, 16:40:32 UTC``: the one way a moment is written, in the site's zone, named."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    zone = local.tzname() or timezone.get_current_timezone_name()
    clock = f"{local:%H:%M:%S}.{local.microsecond // 1000:03d}" if precise else f"{local:%H:%M:%S}"
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {clock} {zone}"


def relative(moment: datetime, now: datetime | None = None) -> str:
    """``3 s ago``, ``in 12 s``, ``4 min ago``, ``in 2 h``, ``3 d ago``: to the unit a reader scans for."""
    seconds = (moment - (now or timezone.now())).total_seconds()
    span = abs(seconds)
    if span < 1:
        return "now"
    if span < 90:
        amount = f"{span:.0f} s"
    elif span < 90 * 60:
        amount = f"{span / 60:.0f} min"
    elif span < 36 * 3600:
        amount = f"{span / 3600:.0f} h"
    else:
        amount = f"{span / 86400:.0f} d"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def duration(milliseconds: float) -> str:
    """``0 ms``, ``12.5 ms``, ``1.2 s``, ``42 s``, ``175 s``, ``3 min 10 s``, ``2 h 5 min``: as people read them."""
    ms = float(milliseconds)
    if ms < 1000:
        return f"{ms:.1f}".removesuffix(".0") + " ms"
    seconds = ms / 1000
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 180:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(whole // 60, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@register.filter(is_safe=True)
def timestamp(value, style: str = "absolute"):
    """A ``<time>`` element: the absolute time, to the millisecond (``"precise"``), or (``"relative"``) the relative
    one with the absolute on hover."""
    if not isinstance(value, datetime):
        return ""
    iso = value.isoformat()
    if style == "precise":
        return format_html('<time datetime="{}">{}</time>', iso, absolute(value, precise=True))
    if style == "relative":
        return format_html(
            '<time datetime="{}" title="{}" data-relative>{}</time>', iso, absolute(value), relative(value)
        )
    return format_html('<time datetime="{}">{}</time>', iso, absolute(value))


@register.filter(is_safe=True)
def duration_ms(value):
    """A duration given in milliseconds, as people read it (``3 min 10 s``); empty for no value."""
    if value is None or value == "":
        return ""
    try:
        return duration(float(value))
    except (TypeError, ValueError):
        return ""


@register.filter(is_safe=True)
def next_attempt(delivery, holds):
    """When a waiting delivery runs next (relative), or, when it is due already, what holds it (``Holds``)."""
    if delivery is None or holds is None:
        return ""
    held = holds.reason(handler=delivery.handler, context=delivery.context, available_at=delivery.available_at)
    if held is None:
        return timestamp(delivery.available_at, "relative")
    text, until = held
    due = format_html('<span class="held" title="due since {}">{}</span>', absolute(delivery.available_at), text)
    return format_html("{} {}", due, timestamp(until, "relative")) if until else due
