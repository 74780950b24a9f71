"""Progress reports on the scheduler: reminded once before they are due, escalated to the office
once when they are overdue, however often (and however many) schedulers run."""

import datetime as dt
import threading
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import close_old_connections, connection

from notifications import recipients, reminders
from notifications.kinds import Kind
from notifications.models import Notification
from tests.factories import OfficeFactory, force_state, member
from tests.factories_landing import confirmed_agreement, landing_parties, load_wucheng_rules
from workflow.choices import ApplicationState, ReportKind, Role
from workflow.models import AuditEvent, ProgressReport
from workflow.models.landing import ReportState
from workflow.services.landing import report_submit

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


# The first report of an agreement starting on 1 January 2026 is January's monthly dispatch,
# due at the end of Friday 6 February; February's is due on Friday 6 March.
JANUARY_DUE = beijing(2026, 2, 6, 23, 59, 59)


@pytest.fixture
def project(db):
    load_wucheng_rules()
    application, staff, applicant = landing_parties()
    agreement = confirmed_agreement(application, staff, applicant)
    return agreement, staff, applicant


def report(agreement, period: str, kind: str = ReportKind.MONTHLY) -> ProgressReport:
    return ProgressReport.objects.get(agreement=agreement, kind=kind, period=period)


def sent(kind) -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def run_at(moment: dt.datetime) -> dict:
    with time_machine.travel(moment, tick=False):
        return reminders.run()


def test_the_first_report_is_due_as_scheduled(project):
    agreement, _staff, _applicant = project
    assert report(agreement, "2026-01").due_at == JANUARY_DUE


def test_the_organisation_is_reminded_once_three_working_days_before(project):
    agreement, _staff, applicant = project
    run_at(beijing(2026, 2, 2, 10))  # four working days before: not yet
    assert sent(Kind.REMINDER_REPORT_DUE) == []
    counts = run_at(beijing(2026, 2, 3, 10))
    assert counts["report_due"] == 1
    run_at(beijing(2026, 2, 3, 10, 5))
    run_at(beijing(2026, 2, 5, 10))
    assert sent(Kind.REMINDER_REPORT_DUE) == [applicant.pk]
    january = report(agreement, "2026-01")
    assert january.reminded_at == beijing(2026, 2, 3, 10)
    note = Notification.objects.get(kind=Kind.REMINDER_REPORT_DUE)
    assert "2026-01" in note.text and agreement.application.title in note.text
    assert report(agreement, "2026-02").reminded_at is None


def test_a_submitted_report_is_not_reminded(project):
    agreement, _staff, applicant = project
    report_submit(report=report(agreement, "2026-01"), by=applicant, content="一月进展。")
    run_at(beijing(2026, 2, 4, 10))
    assert sent(Kind.REMINDER_REPORT_DUE) == []


def test_an_overdue_report_is_escalated_to_the_office_once(project):
    agreement, staff, applicant = project
    office_id = agreement.application.call.office_id
    outsider = member(Role.OFFICE_STAFF, OfficeFactory())
    run_at(beijing(2026, 2, 6, 23, 59))  # still on time
    assert sent(Kind.OFFICE_REPORT_OVERDUE) == []
    counts = run_at(beijing(2026, 2, 7, 9))
    assert counts["report_overdue"] == 1
    for moment in (beijing(2026, 2, 7, 9, 1), beijing(2026, 2, 20, 9)):
        assert run_at(moment)["report_overdue"] == 0
    january = report(agreement, "2026-01")
    assert january.state == ReportState.DUE
    assert january.escalated_at == beijing(2026, 2, 7, 9)
    office_staff = recipients.office_staff_of(office_id)
    assert staff.pk in office_staff and outsider.pk not in office_staff
    assert sent(Kind.OFFICE_REPORT_OVERDUE) == office_staff
    note = Notification.objects.filter(kind=Kind.OFFICE_REPORT_OVERDUE).first()
    assert agreement.application.organisation.name in note.text and "2026-01" in note.text
    (event,) = AuditEvent.objects.filter(action="progressreport.escalate")
    assert event.object_id == str(january.pk)
    assert event.actor_id is None and event.role == "system"
    assert event.from_state == event.to_state == ReportState.DUE
    assert event.diff["period"] == "2026-01"
    # The next month's report, once overdue in its turn, is escalated on its own.
    run_at(beijing(2026, 3, 9, 9))
    assert AuditEvent.objects.filter(action="progressreport.escalate").count() == 2
    assert report(agreement, "2026-02").escalated_at == beijing(2026, 3, 9, 9)
    # A late report may still be filed; it stays escalated.
    report_submit(report=january, by=applicant, content="补交一月进展。")
    january.refresh_from_db()
    assert january.state == ReportState.SUBMITTED and january.escalated_at is not None


def test_a_report_submitted_on_time_is_not_escalated(project):
    agreement, _staff, applicant = project
    report_submit(report=report(agreement, "2026-01"), by=applicant, content="一月进展。")
    run_at(beijing(2026, 2, 7, 9))
    assert sent(Kind.OFFICE_REPORT_OVERDUE) == []
    assert not AuditEvent.objects.filter(action="progressreport.escalate").exists()


def test_a_terminated_project_is_neither_reminded_nor_escalated(project):
    agreement, _staff, _applicant = project
    force_state(agreement.application, ApplicationState.TERMINATED)
    run_at(beijing(2026, 2, 4, 10))
    run_at(beijing(2026, 2, 7, 9))
    assert sent(Kind.REMINDER_REPORT_DUE) == sent(Kind.OFFICE_REPORT_OVERDUE) == []


def test_the_scheduler_command_runs_reminders_and_escalation(project):
    agreement, _staff, _applicant = project
    with time_machine.travel(beijing(2026, 2, 7, 9), tick=False):
        call_command("run_scheduler", "--once", stdout=StringIO())
        call_command("run_scheduler", "--once", stdout=StringIO())
    assert report(agreement, "2026-01").escalated_at is not None
    assert AuditEvent.objects.filter(action="progressreport.escalate").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_schedulers_racing_escalate_each_report_once(project, erase_audit_after):
    agreement, _staff, _applicant = project
    moment = beijing(2026, 2, 7, 9)
    barrier = threading.Barrier(4)
    errors = []

    def job():
        try:
            barrier.wait()
            reminders.report_overdue(moment)
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
    assert AuditEvent.objects.filter(action="progressreport.escalate").count() == 1
    office_staff = recipients.office_staff_of(agreement.application.call.office_id)
    assert sent(Kind.OFFICE_REPORT_OVERDUE) == office_staff
