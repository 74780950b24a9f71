"""Email delivery through Django's email backend (console by default, SMTP in production).

Only notifications whose recipient chose "in the portal and by email" and has an address are
pending for email (decided when the notification is written). A failed send stays pending and
the scheduler tries again, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from notifications.messenger import language_of
from notifications.models import EmailStatus, Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def _absolute(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def message(n: Notification) -> EmailMessage:
    user = n.recipient
    with translation.override(language_of(user)):
        site = _("Industry-Education Integration Platforms")
        subject = f"[{site}] {Truncator(n.text).chars(60)}"
        body = render_to_string(
            "notifications/email.txt",
            {
                "notification": n,
                "user": user,
                "link": _absolute(reverse("notifications:open", args=[n.pk])),
                "preferences": _absolute(reverse("notifications:list")),
            },
        )
    return EmailMessage(subject.replace("\n", " "), body, to=[user.email])


def send(notifications: Iterable[Notification]) -> int:
    pending = [n for n in notifications if n.email_status == EmailStatus.PENDING]
    if not pending:
        return 0
    sent, failed = [], []
    with get_connection(fail_silently=False) as conn:
        for n in pending:
            try:
                conn.send_messages([message(n)])
                sent.append(n.pk)
            except Exception:
                logger.exception("email for notification %s failed", n.pk)
                failed.append(n.pk)
    Notification.objects.filter(pk__in=sent).update(
        email_status=EmailStatus.SENT, email_attempts=F("email_attempts") + 1
    )
    Notification.objects.filter(pk__in=failed).update(email_attempts=F("email_attempts") + 1)
    Notification.objects.filter(pk__in=failed, email_attempts__gte=MAX_ATTEMPTS).update(
        email_status=EmailStatus.FAILED
    )
    for n in pending:
        n.email_status = EmailStatus.SENT if n.pk in sent else n.email_status
    return len(sent)
