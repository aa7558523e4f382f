"""ASGI entry point: HTTP through Django, websockets through Channels (daphne serves both).

Websockets pass the Origin check against ALLOWED_HOSTS, then the session (``scope["user"]``), then the routes;
each consumer checks staff itself before accepting.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
# Whatever serves this application is a web process: on PostgreSQL it borrows connections from a pool
# (settings, "Database"). Said to the settings as they load, then taken back out of the environment: a
# process this one starts (a worker cluster a test starts, a command) decides for itself; a forked worker
# inheriting "web" would share a pool made for threads.
told = "MARKETPLACE_PROCESS" not in os.environ
os.environ.setdefault("MARKETPLACE_PROCESS", "web")
try:
    django_asgi_app = get_asgi_application()
finally:
    if told:
        del os.environ["MARKETPLACE_PROCESS"]

# These import models and settings: only once Django is set up.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from marketplace.dashboard import routing  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(routing.websocket_urlpatterns))),
    }
)
