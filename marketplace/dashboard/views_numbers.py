"""The numbers pages: health (and the JSON its charts poll), the message types. The Trade-offs page is
``views_lab``'s."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace.dashboard import message_types as message_types_module
from marketplace.dashboard import stats
from messaging import selectors

POLL_MS = 2000  # how often the health page polls health.json


def _seconds(request) -> int:
    try:
        return int(request.GET.get("seconds", stats.RATE_SECONDS))
    except ValueError:
        return stats.RATE_SECONDS


@staff_member_required
@require_GET
def health(request):
    now = timezone.now()
    live = stats.live_numbers(now=now)
    timings = live["timings"]  # read once: the page's tables and its embedded first poll
    slowest = max((t["p95_ms"] for t in timings), default=0) or 1
    return render(
        request,
        "dashboard/health.html",
        {
            "live": live,
            "queue": selectors.queue_depth(now=now),
            "timings": [(t, 100 * t["p50_ms"] / slowest, 100 * t["p95_ms"] / slowest) for t in timings],
            "timing_sample": stats.TIMING_SAMPLE,
            "breakers": selectors.breakers(now=now),
            "paused": selectors.paused_handlers(),
            "poll_ms": POLL_MS,
        },
    )


@staff_member_required
@require_GET
@never_cache
def health_json(request):
    return JsonResponse(stats.live_numbers(seconds=_seconds(request)))


@staff_member_required
@require_GET
def message_types(request):
    result = message_types_module.message_types()
    busiest = max((t.last_hour for t in result.types), default=0) or 1
    return render(
        request,
        "dashboard/message_types.html",
        {
            "message_types": result,
            "rows": [(t, 100 * t.last_hour / busiest) for t in result.types],
            "sender_sample": message_types_module.SENDER_SAMPLE,
        },
    )
