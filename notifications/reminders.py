"""Reminders sent by the periodic job (`manage.py run_scheduler`).

Each rule yields Reminders with a key that names what is reminded of and at which stage, e.g.
`window_closing:<application>:3d`. Sending inserts the key into ReminderLog in the same
transaction as the notifications; the key is unique, so a second run (or a second scheduler
racing the first) sends nothing.

Rules now: the application window closing in 3 days and in 1 day, to organisations whose
application is still a draft. The other reminders of the notifications issue need dates the
domain does not hold yet; each is one more rule here (see docs/notifications.md):
review due (a review deadline on Draw), report due (ProgressReport), publicity ending (Publicity).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify
from notifications.models import ReminderLog
from workflow.choices import ApplicationState, CallState
from workflow.models import Application

logger = logging.getLogger(__name__)

DAY = dt.timedelta(days=1)
WINDOW_STAGES = (1, 3)  # days before closing; the nearest stage not yet passed is sent


@dataclass(frozen=True)
class Reminder:
    key: str
    kind: Kind
    recipients: list[int]
    obj: models.Model
    context: dict[str, Any] = field(default_factory=dict)


def window_closing(now: dt.datetime) -> Iterator[Reminder]:
    """Organisations with a draft to a call that closes within 3 days (and again within 1)."""
    drafts = (
        Application.objects.filter(
            state=ApplicationState.DRAFT,
            call__state=CallState.PUBLISHED,
            call__closes_at__gt=now,
            call__closes_at__lte=now + max(WINDOW_STAGES) * DAY,
        )
        .select_related("call", "organisation")
        .order_by("id")
    )
    for application in drafts:
        left = application.call.closes_at - now
        stage = next(days for days in WINDOW_STAGES if left <= days * DAY)
        yield Reminder(
            key=f"window_closing:{application.pk}:{stage}d",
            kind=Kind.REMINDER_WINDOW_CLOSING,
            recipients=recipients.applicants_of(application.organisation_id),
            obj=application,
            context={"closes": application.call.closes_at, "days": stage},
        )


RULES: list[Callable[[dt.datetime], Iterator[Reminder]]] = [window_closing]


def send(reminder: Reminder) -> bool:
    """Send once: False when its key was already used (by an earlier or a racing run)."""
    with transaction.atomic():
        _, created = ReminderLog.objects.get_or_create(key=reminder.key)
        if created:
            notify(reminder.kind, reminder.recipients, reminder.obj, **reminder.context)
    return created


def run(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for rule in RULES:
        due = list(rule(now))
        done = set(
            ReminderLog.objects.filter(key__in=[r.key for r in due]).values_list("key", flat=True)
        )
        sent = sum(send(r) for r in due if r.key not in done)
        counts[rule.__name__] = sent
    return counts
