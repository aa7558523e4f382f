"""``/metrics``: Prometheus' scrape of messaging's metrics, for whoever holds METRICS_TOKEN.

Without a token set the page does not exist (404). With one, it answers only ``Authorization: Bearer
<token>`` (compared in constant time); anything else is 401 and says nothing more. GET only. Each web
process serves the whole host's metrics (``messaging.monitoring``): scrape one of them per host.
"""

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from messaging import monitoring


@csrf_exempt  # no session is used: a POST gets this view's 404 or 405, not the CSRF check's 403
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not monitoring.metrics_enabled():
        raise Http404
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if not bearer_matches(request.headers.get("Authorization", ""), settings.METRICS_TOKEN):
        response = HttpResponse("401 Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = monitoring.metrics_scrape(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)


def bearer_matches(authorization: str, token: str) -> bool:
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
