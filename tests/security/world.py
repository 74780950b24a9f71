"""The world of the authorization matrix (issue 7): one object behind every kind of URL
parameter, all belonging to office A / organisation A / department A, and the eleven subjects.

Everything is made with the project's builders and services (states forced only where the
builders force them too). It is built once per test module (see conftest.py) inside a
transaction that is rolled back at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from jobs.models import Job, JobState
from notifications.models import Notification
from processes import engine, moves
from processes.models import AddedSigner
from tests.factories import (
    DepartmentFactory,
    ExpertFactory,
    OfficeFactory,
    OrganisationFactory,
    complete_application,
    force_state,
    member,
    published_call,
    review_panel,
    submit_at,
)
from tests.factories_aftercare import award_for
from tests.factories_approval import acceptance_of, phrases_for
from tests.factories_landing import confirmed_agreement
from tests.workflow.publicity_helpers import person_objection
from workflow.choices import ApplicationState, CallState, Role
from workflow.models import (
    AuditEvent,
    AvoidanceRequest,
    Countersign,
    PerformanceReview,
    ProgressReport,
    Publicity,
)
from workflow.services.applications import application_submit
from workflow.services.avoidance import avoidance_request_file
from workflow.services.countersign import countersign_open
from workflow.services.performance import performance_open
from workflow.services.publicity import publicity_open
from workflow.services.rubrics import rubric_load_sample
from workflow.services.tolerance import tolerance_request

# The subjects, in the order the matrix lists them.
SUBJECTS = (
    "anonymous",
    "applicant",  # applicant of the owning organisation (A)
    "other_applicant",  # applicant of another organisation
    "assigned_expert",  # accepted invitation + score sheets on applications of A
    "unassigned_expert",  # in the pool, never drawn
    "staff",  # office staff of office A (publishes the calls)
    "other_staff",  # office staff of office B
    "approver",  # approver of department A, which has a countersign on the item
    "other_approver",  # approver of another department (of office A, no countersign)
    "director",  # director of office A
    "supervisor",  # supervisor (纪检监督) in office A
)

# Titles of organisation A's applications that nobody outside A, office A and the supervisor
# may read (drafts, applications in review, projects after the decision): the matrix looks for
# them in every page an outsider is given. Proposed winners and awards are public.
SECRET = {
    "draft": "草稿项目·机密甲",
    "submitted": "已提交项目·机密乙",
    "reviewed": "评审项目·机密丙",
    "approved": "落地项目·机密丁",
    "constructing": "验收项目·机密戊",
}
# Subjects outside organisation A, office A and department A: none of SECRET may reach them.
OUTSIDERS = ("anonymous", "other_applicant", "unassigned_expert", "other_staff")


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # subject -> session key

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def _application(call, organisation, state: str | None = None, **kwargs):
    application = complete_application(call=call, organisation=organisation, **kwargs)
    if state is not None:
        force_state(application, state)
    return application


def build() -> World:
    w = World()
    o = w.objects
    office = OfficeFactory()
    org = OrganisationFactory()
    department = DepartmentFactory(office=office)
    o.update(office=office, organisation=org, department=department)

    staff = member(Role.OFFICE_STAFF, office)
    users = {
        "anonymous": None,
        "applicant": member(Role.APPLICANT, org),
        "other_applicant": member(Role.APPLICANT, OrganisationFactory()),
        "staff": staff,
        "other_staff": member(Role.OFFICE_STAFF, OfficeFactory()),
        "approver": member(Role.DEPARTMENT_APPROVER, department),
        "director": member(Role.OFFICE_DIRECTOR, office),
        "supervisor": member(Role.SUPERVISOR, office),
        "unassigned_expert": ExpertFactory().user,
    }
    applicant = users["applicant"]

    # 1. An open call: a draft (with attachments) and a submitted application, an avoidance
    # request on the submitted one.
    call_open = published_call(office=office)
    draft = _application(call_open, org, title=SECRET["draft"])
    # One application per organisation and call: the submitted one is to a second open call.
    submitted = _application(published_call(office=office), org, title=SECRET["submitted"])
    application_submit(application=submitted, by=applicant)
    submitted.refresh_from_db()
    avoided = ExpertFactory()
    avoidance = avoidance_request_file(
        application=submitted, expert=avoided, reason="曾有竞争关系", by=applicant
    )
    o.update(
        call_open=call_open,
        draft=draft,
        attachment=draft.attachments.first(),
        submitted=submitted,
        avoidance=AvoidanceRequest.objects.get(pk=avoidance.pk),
    )

    # 2. A call under review: two applications, a drawn panel of one expert (the assigned
    # expert) with a sheet on each; the sheet on A's application is submitted.
    call_review = published_call(office=office)
    reviewed = []
    for n in range(2):
        # A's application, and one of another organisation (the open sheet).
        unit = org if n == 0 else OrganisationFactory()
        title = SECRET["reviewed"] if n == 0 else "评审项目乙"
        application = _application(call_review, unit, title=title)
        application.submitted_at = timezone.now() - dt.timedelta(hours=2 - n)
        application.save(update_fields=["submitted_at"])
        force_state(application, ApplicationState.UNDER_REVIEW)
        reviewed.append(application)
    force_state(call_review, CallState.UNDER_REVIEW)
    rubric_load_sample(key="shanxi", by=None, call=call_review)
    draw, sheets = review_panel(call_review, reviewed, experts=1)
    ((expert, (sheet_done, sheet_open)),) = sheets.items()
    submit_at(sheet_done, "0.8")
    users["assigned_expert"] = expert.user
    o.update(
        call_review=call_review,
        reviewed=reviewed[0],
        reviewed_attachment=reviewed[0].attachments.first(),
        draw=draw,
        invitation=sheet_done.invitation,
        expert=expert,
        sheet_done=sheet_done,
        sheet_open=sheet_open,
    )

    # 3. A call in its public notice: the shortlisted application of A, an objection to it and
    # an open countersign round with department A's countersign pending.
    call_notice = published_call(office=office)
    winner = _application(call_notice, org, title="公示项目")
    force_state(call_notice, CallState.UNDER_REVIEW)
    force_state(winner, ApplicationState.SHORTLISTED)
    publicity = publicity_open(call=call_notice, by=staff)
    call_notice.refresh_from_db()
    objection = person_objection(winner)
    # Set-up only: the notice period is over (countersigning and decisions need that).
    now = timezone.now()
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_at=now - dt.timedelta(days=10), ends_at=now - dt.timedelta(minutes=1)
    )
    countersign_round = countersign_open(call=call_notice, by=staff)
    o.update(
        call_notice=call_notice,
        winner=winner,
        objection=objection,
        countersign_round=countersign_round,
        countersign=Countersign.objects.get(round=countersign_round, department=department),
    )
    # A second call whose notice is still running: its winner may be objected to by anyone.
    call_running = published_call(office=office)
    proposed = _application(call_running, org, title="公示中项目")
    force_state(call_running, CallState.UNDER_REVIEW)
    force_state(proposed, ApplicationState.SHORTLISTED)
    publicity_open(call=call_running, by=staff)
    o.update(call_running=call_running, proposed=proposed)
    # The other department joins office A after the round opened: it has no countersign.
    users["other_approver"] = member(Role.DEPARTMENT_APPROVER, DepartmentFactory(office=office))

    # 4. Landing (揭榜落地): an approved application with a confirmed agreement.
    approved = _application(
        published_call(office=office), org, ApplicationState.APPROVED, title=SECRET["approved"]
    )
    agreement = confirmed_agreement(approved, staff, applicant)
    o.update(
        approved=approved,
        agreement=agreement,
        milestone=agreement.milestones.first(),
        report=ProgressReport.objects.filter(agreement=agreement).first(),
    )

    # 5. Acceptance (验收): a project under construction that declared completion; a tolerance
    # case on it.
    constructing = _application(
        published_call(office=office),
        org,
        ApplicationState.CONSTRUCTING,
        title=SECRET["constructing"],
    )
    acceptance = acceptance_of(constructing)
    case = tolerance_request(
        application=constructing,
        by=applicant,
        shortfall="年度实训人数目标完成60%。",
        reasons="受设备交付延迟影响，校企共建模式磨合期较长。",
    )
    o.update(constructing=constructing, acceptance=acceptance, case=case)

    # 6. Award and performance review (绩效评价).
    awarded = _application(published_call(office=office), org)
    award = award_for(awarded)
    performance_open(
        office=office, year=2024, by=staff, due_at=timezone.now() + dt.timedelta(days=30)
    )
    o.update(
        awarded=awarded,
        award=award,
        review=PerformanceReview.objects.get(award=award, year=2024),
    )

    # 7. Tasks (待办), an added signer (加签) for department A, a delegation (委托) by the staff.
    with transaction.atomic():
        engine.sync(call_notice, winner, approved, constructing)
    task = _a_task()
    o["task"] = task
    o["signer"] = AddedSigner.objects.create(
        task=task, position="before", department=department, requested_by=staff, reason="会签"
    )
    colleague = member(Role.OFFICE_STAFF, office)
    today = timezone.localdate()
    o["delegation"] = moves.delegation_create(
        by=staff, delegate=colleague, starts_on=today, ends_on=today + dt.timedelta(days=7)
    )

    # 8. Per-user things: a finished job of the staff, a notification and phrases of the
    # applicant and the staff.
    job = Job.objects.create(
        kind="ranking_export",
        owner=staff,
        state=JobState.DONE,
        params={"call": call_review.pk, "variant": "public"},
    )
    job.result.save("ranking.xlsx", ContentFile(b"PK"), save=True)
    o["job"] = job
    o["notification"] = Notification.objects.create(
        recipient=applicant, kind="application_submitted", text="已提交", url="/"
    )
    o["phrase"] = phrases_for(staff, "同意。")[0]
    o["audit_event"] = AuditEvent.objects.order_by("-sequence").first()

    w.users = users
    return w


def _a_task():
    """An open step of a process (the engine made it); every process here is office A's."""
    from viewflow.workflow.models import Task

    from processes.nodes import Step

    for task in Task.objects.select_related("process").order_by("pk"):
        if isinstance(task.flow_task, Step) and task.status in engine.OPEN_TASK:
            return task
    raise AssertionError("the engine opened no task")
