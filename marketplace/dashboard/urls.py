"""The dashboard's pages, all staff only (each view says so with ``staff_member_required``); each control's POST
also needs its own permission (``control_required``, see ``marketplace.operators``)."""

from django.urls import path
from django.views.generic import RedirectView

from marketplace.dashboard import (
    views_controls,
    views_dead_letters,
    views_flow,
    views_lab,
    views_ledger,
    views_numbers,
    views_stream,
)

app_name = "dashboard"

urlpatterns = [
    path("", views_stream.stream, name="stream"),
    path("find/", views_flow.find, name="find"),
    path("flow/<path:correlation_id>/", views_flow.flow, name="flow"),
    path("messages/<uuid:message_id>/", views_ledger.ledger, name="ledger"),
    path("deliveries/<int:delivery_id>/retry/", views_ledger.delivery_retry, name="delivery_retry"),
    path("deliveries/<int:delivery_id>/replay/", views_ledger.delivery_replay, name="delivery_replay"),
    path("dead-letters/", views_dead_letters.dead_letters, name="dead_letters"),
    path("dead-letters/retry/", views_dead_letters.dead_letters_retry, name="dead_letters_retry"),
    path("dead-letters/archive/", views_dead_letters.dead_letters_archive, name="dead_letters_archive"),
    path("controls/", views_controls.controls, name="controls"),
    path("controls/style/", views_controls.style_switch, name="style_switch"),
    path("controls/subscriptions/", views_controls.subscription_switch, name="subscription_switch"),
    path("controls/faults/", views_controls.fault_set, name="fault_set"),
]

# The numbers pages; templates/dashboard/base.html's sub-nav reverses these names.
urlpatterns += [
    path("health/", views_numbers.health, name="health"),
    path("health.json", views_numbers.health_json, name="health_json"),
    path("message-types/", views_numbers.message_types, name="message_types"),
    path("catalogue/", RedirectView.as_view(pattern_name="dashboard:message_types", permanent=True), name="catalogue"),
]

# The trade-off lab (and, below it on the same page, this shop's own traffic); lab.js polls experiment_json.
urlpatterns += [
    path("tradeoffs/", views_lab.tradeoffs, name="tradeoffs"),
    path("tradeoffs/experiments/", views_lab.experiment_start, name="experiment_start"),
    path("tradeoffs/experiments/<int:pk>/", views_lab.experiment, name="experiment"),
    path("tradeoffs/experiments/<int:pk>.json", views_lab.experiment_json, name="experiment_json"),
    path("tradeoffs/experiments/<int:pk>/stop/", views_lab.experiment_stop, name="experiment_stop"),
]
