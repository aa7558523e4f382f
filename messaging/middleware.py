"""Each web request starts a correlation, honouring a well-formed X-Request-ID."""

import re

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from messaging.runtime.context import Causation, causation, new_correlation_id

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def request_correlation_id(request) -> str:
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if REQUEST_ID.match(incoming) else new_correlation_id()


class CorrelationMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        correlation_id = request_correlation_id(request)
        actor = "web"
        with causation(Causation(correlation_id=correlation_id, actor=actor)):
            response = self.get_response(request)
        response["X-Request-ID"] = correlation_id
        return response

    async def __acall__(self, request):
        correlation_id = request_correlation_id(request)
        with causation(Causation(correlation_id=correlation_id, actor="web")):
            response = await self.get_response(request)
        response["X-Request-ID"] = correlation_id
        return response
