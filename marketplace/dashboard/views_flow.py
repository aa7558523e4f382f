"""The flow view of one correlation (one order's conversation), and the dashboard's search box."""

import uuid

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from messaging.models import Message


@staff_member_required
@require_GET
def find(request):
    """A message id opens its ledger; anything else is taken as a correlation id."""
    term = request.GET.get("q", "").strip()
    if not term:
        return redirect("dashboard:stream")
    try:
        message_id = uuid.UUID(term)
    except ValueError:
        message_id = None
    if message_id is not None and Message.objects.filter(pk=message_id).exists():
        return redirect("dashboard:ledger", message_id=message_id)
    return redirect("dashboard:flow", correlation_id=term)
