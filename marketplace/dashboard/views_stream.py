"""The live stream page: a shell whose rows arrive over the websocket (see static/dashboard/stream.js)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.http import require_GET


@staff_member_required
@require_GET
def stream(request):
    return render(request, "dashboard/stream.html")
