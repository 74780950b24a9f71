"""WebSocket routes (config/asgi.py wraps them in the session and origin checks)."""

from django.urls import path

from notifications.consumers import NotificationConsumer
from notifications.dashboard import ReviewDashboardConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/review/<int:call_id>/", ReviewDashboardConsumer.as_asgi()),
]
