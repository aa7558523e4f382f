"""Websocket routes of the dashboard (mounted by marketplace/asgi.py behind the origin check and the session)."""

from django.urls import path

from marketplace.dashboard.consumers import DashboardConsumer

websocket_urlpatterns = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
]
