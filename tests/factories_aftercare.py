"""Builders for the after-award flows: 绩效评价 (performance) and 容错纠错 (tolerance).

Projects are put into their state with force_state (set-up only) and plaques are created
directly; everything after that goes through the real services.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django.utils import timezone

from tests.factories import (
    OrganisationFactory,
    complete_application,
    force_state,
    member,
    published_call,
)
from workflow.choices import ApplicationState, Level, PerformanceGrade, Role
from workflow.models import Application, Award, Office, PerformanceReview

_numbers = itertools.count(1)

INDICATORS = {
    "trainees": 1200,
    "enterprises": 15,
    "training_hours": 36000,
    "certificates": 480,
    "projects": 6,
}


@dataclass
class Project:
    """A project (approved application) with its office staff and applicant user."""

    application: Application
    staff: object
    applicant: object
    award: Award | None = None

    @property
    def office(self) -> Office:
        return self.application.call.office


def project(
    state: str = ApplicationState.CONSTRUCTING, *, office: Office | None = None, staff=None
) -> Project:
    """An application of a fresh organisation forced into `state`."""
    call = published_call(office=office) if office is not None else published_call()
    application = complete_application(call=call, organisation=OrganisationFactory())
    force_state(application, state)
    return Project(
        application=application,
        staff=staff or member(Role.OFFICE_STAFF, call.office),
        applicant=member(Role.APPLICANT, application.organisation),
    )


def award_for(application: Application, awarded_on: dt.date | None = None) -> Award:
    if application.state != ApplicationState.AWARDED:
        force_state(application, ApplicationState.AWARDED)
    return Award.objects.create(
        application=application,
        level=Level.PROVINCE,
        number=f"晋产教平台〔2023〕{next(_numbers):03d}号",
        plaque_title="省级产教融合重大平台载体和实训基地",
        awarded_on=awarded_on or dt.date(2023, 6, 1),
    )


def awarded_project(*, office: Office | None = None, staff=None) -> Project:
    """An awarded base with an active plaque awarded in June 2023."""
    made = project(ApplicationState.AWARDED, office=office, staff=staff)
    made.award = award_for(made.application)
    return made


def open_review(made: Project, year: int) -> PerformanceReview:
    from workflow.services.performance import performance_open

    performance_open(
        office=made.office,
        year=year,
        by=made.staff,
        due_at=timezone.now() + dt.timedelta(days=30),
    )
    return PerformanceReview.objects.get(award=made.award, year=year)


def published_review(
    made: Project, year: int, grade: str = PerformanceGrade.GOOD
) -> PerformanceReview:
    """A review of `year` taken through every step to publication."""
    from workflow.services.performance import (
        performance_evaluate,
        performance_publish,
        performance_submit,
    )

    review = open_review(made, year)
    performance_submit(
        review=review,
        by=made.applicant,
        indicator_values=INDICATORS,
        self_assessment="全年完成实训任务。",
    )
    performance_evaluate(
        review=review,
        by=made.staff,
        grade=grade,
        findings="实训学员数量未达目标。" if grade == PerformanceGrade.FAIL else "",
        evaluator="第三方评估机构",
    )
    return performance_publish(review=review, by=made.staff)


def audit_event_about(obj, action: str = "application.update", by=None):
    """An audit event about `obj`, as a decision on it would leave (set-up only)."""
    from django.db import transaction

    from workflow import audit

    with transaction.atomic():
        return audit.record(action=action, obj=obj, by=by, diff={"note": "test"})


def tolerance_requested(made: Project | None = None):
    """A fault-tolerance request of a project under construction, through the service."""
    from workflow.services.tolerance import tolerance_request

    made = made or project()
    case = tolerance_request(
        application=made.application,
        by=made.applicant,
        shortfall="年度实训人数目标完成60%。",
        reasons="受设备交付延迟影响，先行先试的校企共建模式磨合期较长。",
    )
    return made, case


def decision_data(case, **overrides) -> dict:
    """Keyword arguments for tolerance_decide that the rules allow (免责 on all four criteria),
    citing the request's own audit event."""
    from workflow.services.tolerance import evidence_events

    data = {
        "exploratory": True,
        "procedures_followed": True,
        "no_personal_gain": True,
        "proactive_correction": True,
        "evidence_ids": list(evidence_events(case).values_list("pk", flat=True)),
        "decision": "exempt",
        "decision_reason": "属先行先试中的失误，程序合规，无谋取私利，已主动纠正。",
        "correction_plan": "三个月内补齐实训设备，完成剩余培训任务。",
        "correction_due": timezone.localdate() + dt.timedelta(days=90),
    }
    data.update(overrides)
    return data
