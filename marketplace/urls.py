from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from marketplace import metrics, probes

urlpatterns = [
    path("", include("orders.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("vendors/", include("vendors.urls")),
    path("dashboard/", include("marketplace.dashboard.urls")),
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", lambda request: redirect(static("marketplace/favicon.svg"), permanent=True)),
]
