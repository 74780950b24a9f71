"""The outbox's second chance: what the after-commit delivery could not hand over.

A notification is written with the decision; its live push and its email run after commit. If
the channel layer was down, the process died between commit and push, or the mail server
refused, the row says so (`delivered_at` empty, `email_status` pending) and the scheduler
delivers it here. Clients de-duplicate by id, so a late push of something already caught up
is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from notifications.adapters import email, websocket
from notifications.models import EmailStatus, Notification

logger = logging.getLogger(__name__)

GRACE = dt.timedelta(seconds=30)  # leave the after-commit delivery time to do its work
LIVE_FOR = dt.timedelta(days=1)  # older than this, a push is no longer owed: catch-up has it
BATCH = 500


def retry(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    stale = Notification.objects.filter(delivered_at__isnull=True, created_at__lt=now - LIVE_FOR)
    expired = stale.update(delivered_at=now)
    owed = list(
        Notification.objects.filter(
            delivered_at__isnull=True, created_at__lt=now - GRACE, created_at__gte=now - LIVE_FOR
        ).order_by("id")[:BATCH]
    )
    pushed = websocket.push(owed) if owed else 0
    mails = list(
        Notification.objects.filter(
            email_status=EmailStatus.PENDING,
            created_at__lt=now - GRACE,
            email_attempts__lt=email.MAX_ATTEMPTS,
        )
        .select_related("recipient__notification_preference")
        .order_by("id")[:BATCH]
    )
    emailed = email.send(mails) if mails else 0
    return {"pushed": pushed, "expired": expired, "emailed": emailed}
