"""The live stream page: a shell without a single journal query, whose rows arrive over the websocket.

The browser client (``static/dashboard/stream.js``) connects to ``/ws/dashboard/``, receives the newest
entries then live ones, and filters them client-side. The filter choices come from the registry, for free.
"""

from dataclasses import dataclass

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.utils.text import capfirst
from django.views.decorators.http import require_GET

from messaging import selectors
from messaging.selectors import Kind, Step

ROWS_SHOWN = 500  # the table keeps the newest rows that match the filters; older ones leave the page


@dataclass(frozen=True)
class RegistryNames:
    types: list[str]
    handlers: list[str]
    contexts: list[str]


def registry_names() -> RegistryNames:
    """Every message type, handler and context the code base declares, sorted."""
    return RegistryNames(
        types=list(selectors.message_types()), handlers=list(selectors.handlers()), contexts=selectors.contexts()
    )


@staff_member_required
@require_GET
def stream(request):
    names = registry_names()
    context = {
        "names": names,
        "kinds": Kind.choices,
        "steps": Step.choices,
        "step_labels": {value: capfirst(label) for value, label in Step.choices},  # sentence case, as every page
        "rows_shown": ROWS_SHOWN,
        # Initial filters from the address, so a page can link to "this correlation, live".
        "initial": {key: request.GET.get(key, "")[:200] for key in FILTERS},
    }
    return render(request, "dashboard/stream.html", context)


FILTERS = ("kind", "type", "context", "step", "handler", "correlation")
