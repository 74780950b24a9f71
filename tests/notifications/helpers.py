"""Helpers for the notification tests: sockets with a real session, and reading the outbox."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from notifications.models import Notification

ORIGIN = (b"origin", b"http://127.0.0.1")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def socket(cookie: str | None = None, path: str = "/ws/notifications/"):
    """A communicator through the project's whole ASGI stack (origin check, session, auth);
    `cookie` is a session key from session_cookie(), made outside the event loop."""
    from config.asgi import application

    headers = [ORIGIN]
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def kinds_for(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )
