"""Live delivery through the channel layer: one event per recipient to its group `user.<id>`.

In-memory layer on the embedded default (one process), channels-redis when REDIS_URL is set,
so a decision taken in one ASGI worker reaches sockets held by another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse
from django.utils import timezone

from notifications import groups
from notifications.models import Notification

logger = logging.getLogger(__name__)

CONCURRENCY = 64  # group sends in flight at once for a large fan-out
TIMEOUT = 10.0  # seconds for one batch; a hung Redis must not hold a request for long


def as_message(n: Notification) -> dict[str, Any]:
    """What a client receives for one notification (live and in the catch-up)."""
    return {
        "id": n.pk,
        "kind": n.kind,
        "text": n.text,
        "url": reverse("notifications:open", args=[n.pk]),
        "read_url": reverse("notifications:read", args=[n.pk]),
        "created": n.created_at.isoformat(),
        "read": n.read_at is not None,
    }


async def _send_all(layer: Any, events: list[tuple[str, dict]]) -> list[BaseException | None]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(group: str, event: dict) -> BaseException | None:
        async with gate:
            try:
                await layer.group_send(group, event)
            except Exception as exc:
                return exc
            return None

    return await asyncio.wait_for(asyncio.gather(*(one(g, e) for g, e in events)), TIMEOUT)


def send_events(events: list[tuple[str, dict]]) -> list[bool]:
    """Send (group, event) pairs; returns which were handed to the layer. May raise (timeout)."""
    layer = get_channel_layer()
    if layer is None or not events:
        return [False] * len(events)
    errors = async_to_sync(_send_all)(layer, events)
    failed = [e for e in errors if e is not None]
    if failed:
        logger.warning(
            "%d of %d group sends failed, first: %r", len(failed), len(events), failed[0]
        )
    return [e is None for e in errors]


def push(notifications: Iterable[Notification]) -> int:
    """Push each notification to its recipient's group; mark those handed over as delivered."""
    notifications = list(notifications)
    events = [
        (groups.user_group(n.recipient_id), {"type": groups.MESSAGE, "notification": as_message(n)})
        for n in notifications
    ]
    sent = send_events(events)
    done = [n.pk for n, ok in zip(notifications, sent, strict=True) if ok]
    for start in range(0, len(done), 500):
        Notification.objects.filter(pk__in=done[start : start + 500]).update(
            delivered_at=timezone.now()
        )
    return len(done)


def push_read(user_id: int, *, ids: list[int] | None, up_to: int | None, unread: int) -> None:
    """Tell every open tab of a user which notifications are now read, and the unread count."""
    event = {"type": groups.READ, "ids": ids, "up_to": up_to, "unread": unread}
    send_events([(groups.user_group(user_id), event)])


def push_review_changed(call_id: int) -> bool:
    """Tell the call's live review dashboards to read a fresh snapshot."""
    event = {"type": groups.REVIEW_CHANGED, "call": int(call_id)}
    return send_events([(groups.call_review_group(call_id), event)])[0]


def close_session(session_key: str) -> None:
    send_events([(groups.session_group(session_key), {"type": groups.SESSION_CLOSED})])
