"""Asking before a control repeats or loses work: the same POST again, with ``confirm=yes``.

A control whose consequence an operator may not expect (a handler's e-mail sent again, a retry that will fail
as before, dead letters leaving the outbox) first answers with this page: what will happen, in plain words, and
one button that posts the same fields back, confirmed. Nothing has changed when it is shown.
"""

from django.shortcuts import render

CONFIRMED = "yes"


def confirmed(request) -> bool:
    return request.POST.get("confirm") == CONFIRMED


def confirmation(request, *, heading: str, warnings: list[str], button: str, cancel: str):
    """The page that asks; its form posts the request's own fields to the same address, confirmed."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirm")
        for value in values
    ]
    context = {"heading": heading, "warnings": warnings, "button": button, "cancel": cancel, "fields": fields}
    return render(request, "dashboard/confirm.html", context)
