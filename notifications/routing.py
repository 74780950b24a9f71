"""WebSocket routes. The notification consumer arrives with the notifications issue."""

websocket_urlpatterns: list = []
