"""The flow view of one correlation (one order's conversation), and the dashboard's search box."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from marketplace.dashboard.flow import flow_for, step_counts
from marketplace.dashboard.holds import Holds
from messaging import selectors
from orders.selectors import order_for_token

BAD_REQUEST = 400


@staff_member_required
@require_GET
def find(request):
    """A message id opens its ledger, a correlation id its flow; the first characters of one are enough.

    A prefix that several ids start with lists them; one too short to mean anything says so. A term that
    matches nothing goes to the flow view, which says that no message carries it.
    """
    term = request.GET.get("q", "").strip()
    if not term:
        return redirect("dashboard:stream")
    found = selectors.ids_matching(term=term)
    if found.problem:
        return render(request, "dashboard/find.html", {"found": found}, status=BAD_REQUEST)
    if found.ambiguous:
        return render(request, "dashboard/find.html", {"found": found})
    if found.message_ids:
        return redirect("dashboard:ledger", message_id=found.message_ids[0])
    return redirect("dashboard:flow", correlation_id=found.correlation_ids[0] if found.correlation_ids else term)


@staff_member_required
@require_GET
def flow(request, correlation_id: str):
    tree = flow_for(correlation_id)
    if tree is None:
        return render(request, "dashboard/flow_missing.html", {"correlation_id": correlation_id}, status=404)
    context = {
        "flow": tree,
        "statuses": step_counts(tree),
        "order_url": _order_url(correlation_id),
        "trace_url": _trace_url(tree.trace_id),
        "holds": Holds.read(),
    }
    return render(request, "dashboard/flow.html", context)


def _order_url(correlation_id: str) -> str:
    """The order page, when the correlation is an order's conversation (its id is the order's)."""
    try:
        order = order_for_token(correlation_id)
    except Http404:
        return ""
    return reverse("orders:order", kwargs={"token": order.pk})


def _trace_url(trace_id: str) -> str:
    """Where the correlation's trace is shown (TRACE_URL_TEMPLATE, "{trace_id}" replaced), when both are known."""
    template = settings.TRACE_URL_TEMPLATE
    return template.replace("{trace_id}", trace_id) if template and trace_id else ""
