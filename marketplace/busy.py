"""A request the database could not serve answers "busy, try again" (503), never a crash page.

The database may be busy past its timeout (SQLite's one writer held by a long
transaction: a request waits ``DATABASES['default']['OPTIONS']['timeout']``
seconds, then gives up), restarting, or out of reach; a service transaction that
kept losing deadlocks gives up too (``messaging.atomic_retried``). Each
service runs in one transaction, so whatever the request began was rolled back:
nothing is half-done, and the customer is told to try again in a moment.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("%s %s: the database could not serve it: %s", request.method, request.path, exception)
        # Rendered without the request: its context processors would ask the database for the user.
        html = render_to_string("busy.html", {"retry_after": RETRY_AFTER_SECONDS, "method": request.method})
        return HttpResponse(html, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
