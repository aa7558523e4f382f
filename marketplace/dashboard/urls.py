"""The dashboard's pages, all staff only (each view says so with ``staff_member_required``)."""

from django.urls import path

from marketplace.dashboard import views_flow, views_stream

app_name = "dashboard"

urlpatterns = [
    path("", views_stream.stream, name="stream"),
    path("find/", views_flow.find, name="find"),
]

# --- Numbers pages (helper h4c): append health/, catalogue/, tradeoffs/ from views_numbers here, ---
# --- named "health", "catalogue" and "tradeoffs" (templates/dashboard/base.html's sub-nav reverses them). ---
from marketplace.dashboard import views_numbers  # noqa: E402

urlpatterns += [
    path("health/", views_numbers.health, name="health"),
    path("health.json", views_numbers.health_json, name="health_json"),
    path("catalogue/", views_numbers.catalogue, name="catalogue"),
    path("tradeoffs/", views_numbers.tradeoffs, name="tradeoffs"),
]
