"""404 and 405 in the site's look, also under DEBUG for the site's own views.

Without DEBUG Django renders templates/404.html by itself; a 405 it answers with an empty body, and under
DEBUG (how the demo runs) a view's ``Http404`` shows the technical page. This middleware renders the site's
pages for both, but only for what a view raised or answered: a URL no pattern matches never reaches a view,
so under DEBUG a developer still gets Django's page listing the URL patterns, which is what that page is for.
"""

from django.http import Http404, HttpResponseNotAllowed, HttpResponseNotFound
from django.template.loader import render_to_string


class SiteErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            response.content = render_to_string(
                "405.html", {"method": request.method, "allowed": response["Allow"]}, request=request
            )
            response["Content-Type"] = "text/html; charset=utf-8"
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, Http404):
            return None
        return HttpResponseNotFound(render_to_string("404.html", {"reason": str(exception)}, request=request))
