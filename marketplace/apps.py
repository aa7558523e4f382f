"""The project's own app: the dashboard (``marketplace.dashboard``), the demo data command, who may operate.

It owns no tables; it reads the contexts through their selectors and changes them through their services and
messaging's operations. Its one signal receiver is web-edge plumbing, not a business event: a logout closes the
dashboard sockets opened with that session (``marketplace.dashboard.sessions``).
"""

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self):
        from marketplace import checks  # noqa: F401  (registers the deployment checks)
        from marketplace.dashboard.sessions import close_sockets_on_logout

        user_logged_out.connect(close_sockets_on_logout, dispatch_uid="dashboard-sockets-on-logout")
