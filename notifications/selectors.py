"""Reads for the notification pages, the header badge and the consumer's catch-up."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from notifications.models import Notification

CATCH_UP_LIMIT = 500


def inbox(user: Any) -> QuerySet[Notification]:
    """A user's notifications, newest first; the page shows text, time and state only."""
    return Notification.objects.filter(recipient=user).order_by("-id")


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def badge(user: Any) -> dict[str, int]:
    """Unread count and the newest id, in one query: the page's starting point for the socket."""
    if not user.is_authenticated:
        return {"unread": 0, "last_id": 0}
    row = Notification.objects.filter(recipient=user).aggregate(
        unread=Count("id", filter=Q(read_at__isnull=True)), last_id=Max("id")
    )
    return {"unread": row["unread"] or 0, "last_id": row["last_id"] or 0}


def own_ids(user_id: int, ids: frozenset[int]) -> frozenset[int]:
    """Those of `ids` that are notifications of this user."""
    own = Notification.objects.filter(recipient_id=user_id, id__in=ids).values_list("id", flat=True)
    return frozenset(own)


def catch_up(
    user_id: int, after: int, have: frozenset[int] = frozenset()
) -> tuple[list[Notification], bool]:
    """Everything newer than `after` except the ids in `have`, oldest first, and whether there
    was more than the limit (the rest follows with the consumer's heartbeat)."""
    qs = Notification.objects.filter(recipient_id=user_id, id__gt=after)
    if have:
        qs = qs.exclude(id__in=have)
    rows = list(qs.order_by("id")[: CATCH_UP_LIMIT + 1])
    return rows[:CATCH_UP_LIMIT], len(rows) > CATCH_UP_LIMIT
