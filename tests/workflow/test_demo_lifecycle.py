"""`manage.py load_demo`, after approval (workflow.demo_lifecycle): a call in public notice, a
project under construction with an overdue report and a fault-tolerance request, an awarded base
with last year's performance self-report, all through the services and idempotent."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from processes import engine
from workflow import demo_lifecycle
from workflow.audit import verify_database
from workflow.choices import ApplicationState, CallState, Role
from workflow.models import (
    Acceptance,
    Agreement,
    Application,
    AuditEvent,
    Award,
    Call,
    Department,
    Membership,
    PerformanceReview,
    ProgressReport,
    Publicity,
    ToleranceCase,
)
from workflow.models.award import AcceptanceState
from workflow.models.countersign import CountersignRound, CountersignRoundState
from workflow.models.landing import AgreementState, ReportState
from workflow.models.performance import PerformanceReviewState
from workflow.models.tolerance import ToleranceCaseState

MODELS = [
    get_user_model(),
    Membership,
    Call,
    Application,
    Agreement,
    ProgressReport,
    Acceptance,
    Award,
    PerformanceReview,
    ToleranceCase,
    CountersignRound,
    Publicity,
    AuditEvent,
]


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def call_of(spec) -> Call:
    return Call.objects.get(title=spec.title)


def flows(obj) -> set[tuple[str, str]]:
    return {(p.flow_class.__name__, p.status) for p in engine.processes_of(obj)}


@pytest.mark.django_db
def test_the_demo_shows_every_stage_after_approval_and_loads_once(settings):
    settings.DEBUG = True
    first = load()
    after_first = counts()

    second = load()
    assert counts() == after_first
    assert "nothing to create" in second
    for output in (first, second):
        assert "揭榜项目 Projects after approval" in output
        for username, _, _ in demo_lifecycle.APPROVERS:
            assert username in output

    # Every member department has an approver, so a countersign can be completed.
    province = call_of(demo_lifecycle.BUILD_CALL).office
    for department in Department.objects.filter(office=province):
        assert Membership.objects.filter(
            role=Role.DEPARTMENT_APPROVER, department=department
        ).exists(), department

    # 1. The notice call: reviewed in real time, its winner in public notice now.
    notice = call_of(demo_lifecycle.NOTICE_CALL)
    assert notice.state == CallState.PUBLICITY
    assert notice.publicity.starts_at <= timezone.now() < notice.publicity.ends_at
    assert sorted(notice.applications.values_list("state", flat=True)) == [
        ApplicationState.NOT_SELECTED,
        ApplicationState.SHORTLISTED,
    ]
    assert not CountersignRound.objects.filter(call=notice).exists()
    assert flows(notice) == {("SelectionFlow", "NEW")}

    # 2. The construction call: decided after a countersign every department agreed to.
    build = call_of(demo_lifecycle.BUILD_CALL)
    assert build.state == CallState.DECIDED
    (countersign_round,) = CountersignRound.objects.filter(call=build)
    assert countersign_round.state == CountersignRoundState.AGREED
    assert countersign_round.countersigns.count() == 7
    assert build.publicity.ends_at < countersign_round.opened_at  # the notice ran its course
    assert flows(build) == {("SelectionFlow", "DONE")}
    project = build.applications.get(state=ApplicationState.CONSTRUCTING)
    assert flows(project) == {("LandingFlow", "NEW")}
    agreement = project.agreement
    assert agreement.state == AgreementState.CONFIRMED
    assert agreement.subsidies["total"] != "0.00"
    reports = ProgressReport.objects.filter(agreement=agreement)
    assert reports.filter(state=ReportState.SUBMITTED).count() >= 2
    overdue = reports.filter(state=ReportState.DUE, due_at__lt=timezone.now())
    assert overdue.count() == 1
    assert not reports.filter(state=ReportState.SUBMITTED, due_at__gt=overdue.get().due_at)
    case = ToleranceCase.objects.get(application=project)
    assert case.state == ToleranceCaseState.REQUESTED
    assert flows(case) == {("ToleranceFlow", "NEW")}

    # 3. The award call: built, accepted, awarded last year, last year's self-report in.
    rail = call_of(demo_lifecycle.AWARD_CALL)
    assert rail.state == CallState.DECIDED
    base = rail.applications.get(state=ApplicationState.AWARDED)
    assert flows(base) == {("LandingFlow", "DONE"), ("AcceptanceFlow", "DONE")}
    award = Award.objects.get(application=base)
    last_year = timezone.localdate().year - 1
    assert award.awarded_on.year == last_year
    assert Acceptance.objects.get(application=base).state == AcceptanceState.PASSED
    review = PerformanceReview.objects.get(award=award)
    assert (review.year, review.state) == (last_year, PerformanceReviewState.SUBMITTED)
    assert flows(review) == {("PerformanceFlow", "NEW")}

    # Nothing was forced: every state of the new applications has its audit event.
    for application in Application.objects.filter(call__in=[notice, build, rail]):
        trail = AuditEvent.objects.filter(
            object_type="workflow.application", object_id=str(application.pk)
        )
        assert trail.filter(to_state=application.state).exists(), application

    # Office staff have the tasks of every stage in their inbox.
    staff = get_user_model().objects.get(username="office_sx")
    tasks = {row.task.flow_task.name for row in engine.inbox(staff)}
    assert {"answer_objections", "assess", "evaluate"} <= tasks
    applicant = get_user_model().objects.get(username="applicant_jidian")
    assert "construct" in {row.task.flow_task.name for row in engine.inbox(applicant)}

    report = verify_database()
    assert report.ok, report.problem
    assert report.verified == AuditEvent.objects.count()
