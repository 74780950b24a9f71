"""Reminders sent by the periodic job (`manage.py run_scheduler`).

Each rule yields Reminders with a key that names what is reminded of and at which stage, e.g.
`window_closing:<application>:3d`. Sending inserts the key into ReminderLog in the same
transaction as the notifications; the key is unique, so a second run (or a second scheduler
racing the first) sends nothing.

Rules: the application window closing in 3 days and in 1 day (organisations whose application
is still a draft); scores due in 2 days and in 1 day (experts with an unsubmitted sheet); the
public notice ending within a day (the call's office staff).

Progress reports of a project under construction (揭榜落地) keep their own marks instead of
ReminderLog keys: `report_due` reminds the organisation once, a few working days before a report
is due (ProgressReport.reminded_at), and `report_overdue` escalates a report still due after its
due time to the call's office once (ProgressReport.escalated_at), with an audit event, since an
escalation is a fact the office may be held to. Both claim a report by a conditional update of
its mark in the same transaction as the notifications, so a second run (or a second scheduler
racing the first) finds nothing left to claim.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify
from notifications.models import ReminderLog
from workflow import audit
from workflow.choices import ApplicationState, AssignmentState, CallState, DrawState, ReportKind
from workflow.models import Application, Assignment, Draw, ProgressReport, Publicity
from workflow.models.landing import ReportState
from workflow.rules.landing import REPORT_REMINDER_WORKING_DAYS, REPORTING_STATES, reminder_is_due
from workflow.workdays import calendar_exceptions

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
    for job in REPORT_JOBS:
        counts[job.__name__] = job(now)
    return counts


# Progress reports (揭榜落地) ---------------------------------------------------------------------

# Wide enough for REPORT_REMINDER_WORKING_DAYS working days across the longest holiday.
REPORT_HORIZON = dt.timedelta(days=3 * REPORT_REMINDER_WORKING_DAYS + 30)


def report_subject(report: ProgressReport) -> Promise:
    """“Monthly dispatch 2026-11 · <project>”, translated for each recipient."""
    return format_lazy(
        "{} {} · {}",
        ReportKind(report.kind).label,
        report.period,
        report.agreement.application.title,
    )


def _reporting(queryset: models.QuerySet[ProgressReport]) -> models.QuerySet[ProgressReport]:
    return (
        queryset.filter(state=ReportState.DUE, agreement__application__state__in=REPORTING_STATES)
        .select_related("agreement__application__call", "agreement__application__organisation")
        .order_by("due_at", "id")
    )


def report_due(now: dt.datetime) -> int:
    """Remind the organisation once of each report due within a few working days."""
    today = timezone.localdate(now)
    holidays, workdays = calendar_exceptions(today, today + REPORT_HORIZON)
    candidates = list(
        _reporting(
            ProgressReport.objects.filter(
                reminded_at__isnull=True, due_at__gt=now, due_at__lte=now + REPORT_HORIZON
            )
        )
    )
    sent = 0
    for report in candidates:
        if not reminder_is_due(today, timezone.localdate(report.due_at), holidays, workdays):
            continue
        with transaction.atomic():
            claimed = ProgressReport.objects.filter(
                pk=report.pk, state=ReportState.DUE, reminded_at__isnull=True
            ).update(reminded_at=now)
            if claimed:
                notify(
                    Kind.REMINDER_REPORT_DUE,
                    recipients.applicants_of(report.agreement.application.organisation_id),
                    report,
                    subject=report_subject(report),
                    due=report.due_at,
                )
        sent += claimed
    return sent


def report_overdue(now: dt.datetime) -> int:
    """Escalate each report still due after its due time to the call's office, once."""
    escalated = 0
    overdue = list(
        _reporting(ProgressReport.objects.filter(escalated_at__isnull=True, due_at__lt=now))
    )
    for report in overdue:
        with transaction.atomic():
            claimed = ProgressReport.objects.filter(
                pk=report.pk, state=ReportState.DUE, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not claimed:
                continue
            report.escalated_at = now
            application = report.agreement.application
            audit.record(
                action="progressreport.escalate",
                obj=report,
                by=None,
                role="system",
                from_state=report.state,
                to_state=report.state,
                diff={
                    "application": application.pk,
                    "kind": report.kind,
                    "period": report.period,
                    "due_at": report.due_at,
                    "escalated_at": now,
                },
            )
            notify(
                Kind.OFFICE_REPORT_OVERDUE,
                recipients.office_staff_of(application.call.office_id),
                report,
                subject=report_subject(report),
                organisation=application.organisation.name,
                due=report.due_at,
            )
        escalated += 1
    return escalated


REPORT_JOBS: list[Callable[[dt.datetime], int]] = [report_due, report_overdue]
