"""The user's own changes: read state and preferences. Not decisions of the domain, so not
audited; the read state is synchronised to the user's other tabs after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.adapters import websocket
from notifications.models import NotificationPreference
from notifications.selectors import unread_count
from workflow.errors import NotPermitted


def _sync_tabs(user_id: int, *, ids: list[int] | None, up_to: int | None) -> None:
    def push() -> None:
        websocket.push_read(user_id, ids=ids, up_to=up_to, unread=unread_count(user_id))

    transaction.on_commit(push, robust=True)


def notification_mark_read(*, notification: Any, by: Any) -> bool:
    """Mark one of the user's own notifications read; False when it already was."""
    if notification.recipient_id != by.pk:
        raise NotPermitted(_("This notification is not addressed to you."))
    with transaction.atomic():
        changed = (
            type(notification)
            .objects.filter(pk=notification.pk, recipient=by, read_at__isnull=True)
            .update(read_at=timezone.now())
        )
        if changed:
            _sync_tabs(by.pk, ids=[notification.pk], up_to=None)
    return bool(changed)


def notifications_mark_all_read(*, by: Any, up_to: int | None = None) -> int:
    """Mark every unread notification of the user read, up to id `up_to` (what the page showed,
    so that one arriving meanwhile stays unread)."""
    from notifications.models import Notification

    with transaction.atomic():
        unread = Notification.objects.filter(recipient=by, read_at__isnull=True)
        if up_to is not None:
            unread = unread.filter(id__lte=up_to)
        changed = unread.update(read_at=timezone.now())
        if changed:
            _sync_tabs(by.pk, ids=None, up_to=up_to)
    return changed


def preference_update(*, by: Any, delivery: str, language: str) -> NotificationPreference:
    pref, _ = NotificationPreference.objects.update_or_create(
        user=by, defaults={"delivery": delivery, "language": language}
    )
    return pref
