"""Reminders sent by the periodic job (`manage.py run_scheduler`).

Each rule yields Reminders with a key that names what is reminded of and at which stage, e.g.
`window_closing:<application>:3d`. Sending inserts the key into ReminderLog in the same
transaction as the notifications; the key is unique, so a second run (or a second scheduler
racing the first) sends nothing.

Rules: the application window closing in 3 days and in 1 day (organisations whose application
is still a draft); scores due in 2 days and in 1 day (experts with an unsubmitted sheet); the
public notice ending within a day (the call's office staff). Report due waits for the landing
reports (ProgressReport) of the processes issue; it will be one more rule here.
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
from workflow.choices import ApplicationState, AssignmentState, CallState, DrawState
from workflow.models import Application, Assignment, Draw, Publicity

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


def _stage(left: dt.timedelta, stages: tuple[int, ...]) -> int:
    return next(days for days in stages if left <= days * DAY)


REVIEW_STAGES = (1, 2)


def review_due(now: dt.datetime) -> Iterator[Reminder]:
    """Experts whose sheets of a drawn panel are not submitted, 2 days and 1 day before the
    office's due date."""
    sheets = (
        Assignment.objects.filter(
            state__in=[AssignmentState.OPEN, AssignmentState.REOPENED],
            invitation__draw__state=DrawState.DRAWN,
            invitation__draw__review_due__gt=now,
            invitation__draw__review_due__lte=now + max(REVIEW_STAGES) * DAY,
        )
        .values_list("invitation__draw_id", "expert_id", "invitation__draw__review_due")
        .distinct()
        .order_by("invitation__draw_id", "expert_id")
    )
    draws = {}
    for draw_id, expert_id, due in sheets:
        stage = _stage(due - now, REVIEW_STAGES)
        draw = draws.get(draw_id) or draws.setdefault(
            draw_id, Draw.objects.select_related("call").get(pk=draw_id)
        )
        yield Reminder(
            key=f"review_due:{draw_id}:{expert_id}:{stage}d",
            kind=Kind.REMINDER_REVIEW_DUE,
            recipients=recipients.expert_users(expert_id),
            obj=draw,
            context={"call": draw.call.title, "due": due},
        )


def publicity_ending(now: dt.datetime) -> Iterator[Reminder]:
    """The office, a day before its public notice ends: objections still to answer, and the
    countersign to prepare."""
    for publicity in Publicity.objects.filter(
        ends_at__gt=now, ends_at__lte=now + DAY, call__state=CallState.PUBLICITY
    ).select_related("call"):
        yield Reminder(
            key=f"publicity_ending:{publicity.pk}",
            kind=Kind.REMINDER_PUBLICITY_ENDING,
            recipients=recipients.office_staff_of(publicity.call.office_id),
            obj=publicity.call,
            context={"call": publicity.call.title, "due": publicity.ends_at},
        )


RULES: list[Callable[[dt.datetime], Iterator[Reminder]]] = [
    window_closing,
    review_due,
    publicity_ending,
]


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
