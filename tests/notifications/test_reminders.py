"""Reminders from the periodic job: sent once per stage, however often the job runs."""

import datetime as dt
import threading
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone

from notifications import reminders
from notifications.kinds import Kind
from notifications.models import Notification, ReminderLog
from tests.factories import complete_application, member, published_call
from workflow.choices import Role
from workflow.services.applications import application_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def closing():
    """A call closing in 10 days: one organisation with a draft, one that submitted."""
    call = published_call(closes_at=timezone.now() + dt.timedelta(days=10))
    draft = complete_application(call=call)
    drafters = [member(Role.APPLICANT, draft.organisation) for _ in range(2)]
    done = complete_application(call=call)
    application_submit(application=done, by=member(Role.APPLICANT, done.organisation))
    return call, draft, drafters


def reminded() -> list[tuple[int, int]]:
    return sorted(
        Notification.objects.filter(kind=Kind.REMINDER_WINDOW_CLOSING).values_list(
            "recipient_id", "payload__days"
        )
    )


def run_at(moment) -> None:
    with time_machine.travel(moment, tick=False):
        call_command("run_scheduler", "--once", stdout=StringIO())


def test_window_closing_in_three_days_and_in_one_day(closing):
    call, draft, drafters = closing
    run_at(call.closes_at - dt.timedelta(days=4))
    assert reminded() == []
    run_at(call.closes_at - dt.timedelta(days=2, hours=23))
    assert reminded() == [(u.pk, 3) for u in drafters]
    run_at(call.closes_at - dt.timedelta(hours=20))
    assert reminded() == sorted([(u.pk, 3) for u in drafters] + [(u.pk, 1) for u in drafters])
    run_at(call.closes_at + dt.timedelta(hours=1))  # closed: nothing more
    assert len(reminded()) == 4
    note = Notification.objects.filter(kind=Kind.REMINDER_WINDOW_CLOSING).first()
    assert draft.title in note.text and note.url == f"/applications/{draft.pk}/"


def test_a_reminder_is_sent_once_even_if_the_job_runs_twice(closing):
    call, _draft, drafters = closing
    moment = call.closes_at - dt.timedelta(hours=12)
    run_at(moment)
    run_at(moment)
    run_at(moment + dt.timedelta(minutes=5))
    assert reminded() == [(u.pk, 1) for u in drafters]  # no 3-day reminder this late either
    assert ReminderLog.objects.count() == 1


def test_a_submitted_application_is_not_reminded(closing):
    call, draft, drafters = closing
    application_submit(application=draft, by=drafters[0])
    run_at(call.closes_at - dt.timedelta(hours=12))
    assert reminded() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_schedulers_racing_send_each_reminder_once(closing):
    call, _draft, drafters = closing
    moment = call.closes_at - dt.timedelta(hours=12)
    barrier = threading.Barrier(4)
    errors = []

    def job():
        try:
            barrier.wait()
            reminders.run(moment)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert reminded() == [(u.pk, 1) for u in drafters]


def test_experts_with_open_sheets_are_reminded_two_days_and_one_day_before_review_is_due():
    from tests.factories import review_call, review_panel, submit_at
    from workflow.models import Draw

    call, _staff, applications = review_call(applications=1)
    draw, sheets = review_panel(call, applications, experts=2)
    due = timezone.now() + dt.timedelta(days=5)
    Draw.objects.filter(pk=draw.pk).update(review_due=due, state="drawn")
    (done_expert, [done_sheet]), (late_expert, _) = list(sheets.items())
    submit_at(done_sheet, "0.8")

    def review_reminders():
        return sorted(
            Notification.objects.filter(kind=Kind.REMINDER_REVIEW_DUE).values_list(
                "recipient_id", flat=True
            )
        )

    with time_machine.travel(due - dt.timedelta(days=3)):
        reminders.run()
    assert review_reminders() == []
    for _ in range(2):  # the job runs twice: one reminder
        with time_machine.travel(due - dt.timedelta(days=2)):
            reminders.run()
    assert review_reminders() == [late_expert.user_id]
    with time_machine.travel(due - dt.timedelta(hours=12)):
        reminders.run()
    assert review_reminders() == [late_expert.user_id, late_expert.user_id]
    assert done_expert.user_id not in review_reminders()


def test_the_office_is_reminded_once_before_its_public_notice_ends():
    from tests.factories import force_state
    from workflow.choices import CallState
    from workflow.models import Publicity

    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    force_state(call, CallState.PUBLICITY)
    ends = timezone.now() + dt.timedelta(days=4)
    Publicity.objects.create(
        call=call, starts_at=timezone.now(), ends_at=ends, working_days=5, published_by=staff
    )
    with time_machine.travel(ends - dt.timedelta(days=2)):
        reminders.run()
    assert not Notification.objects.filter(kind=Kind.REMINDER_PUBLICITY_ENDING).exists()
    for _ in range(2):
        with time_machine.travel(ends - dt.timedelta(hours=20)):
            reminders.run()
    from workflow.models import Membership

    office_staff = Membership.objects.filter(office=call.office, role=Role.OFFICE_STAFF)
    assert sorted(
        Notification.objects.filter(kind=Kind.REMINDER_PUBLICITY_ENDING).values_list(
            "recipient_id", flat=True
        )
    ) == sorted(office_staff.values_list("user_id", flat=True))
    assert staff.pk in office_staff.values_list("user_id", flat=True)
