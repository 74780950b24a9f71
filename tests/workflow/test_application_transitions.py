"""Every application transition: allowed from each valid state by the right role, refused
otherwise; refused attempts change nothing and write no audit event."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.factories import (
    OfficeFactory,
    OrganisationFactory,
    complete_application,
    force_state,
    member,
)
from workflow.choices import ApplicationState as S
from workflow.choices import CallState, Role
from workflow.errors import Conflict, NotPermitted
from workflow.models import Application, AuditEvent, FormalCheck
from workflow.services import applications as svc


@dataclass(frozen=True)
class Step:
    service: Any
    actor: str
    sources: tuple[S, ...]
    target: S
    kwargs: dict = field(default_factory=dict)
    call_state: CallState | None = None


STEPS = {
    "submit": Step(svc.application_submit, "applicant", (S.DRAFT, S.RETURNED), S.SUBMITTED),
    "withdraw": Step(
        svc.application_withdraw, "applicant", (S.SUBMITTED, S.RETURNED, S.ACCEPTED), S.WITHDRAWN
    ),
    "accept": Step(svc.application_accept, "staff", (S.SUBMITTED,), S.ACCEPTED),
    "return": Step(
        svc.application_return, "staff", (S.SUBMITTED,), S.RETURNED, {"reason": "缺少盖章页"}
    ),
    "reject": Step(
        svc.application_reject, "staff", (S.SUBMITTED,), S.REJECTED, {"reason": "主体不符"}
    ),
    "start_review": Step(
        svc.application_start_review,
        "staff",
        (S.ACCEPTED,),
        S.UNDER_REVIEW,
        {},
        CallState.UNDER_REVIEW,
    ),
    "finish_review": Step(
        svc.application_finish_review,
        "staff",
        (S.UNDER_REVIEW,),
        S.REVIEWED,
        {},
        CallState.UNDER_REVIEW,
    ),
    "shortlist": Step(
        svc.application_shortlist,
        "staff",
        (S.REVIEWED,),
        S.SHORTLISTED,
        {},
        CallState.UNDER_REVIEW,
    ),
    "not_select": Step(
        svc.application_not_select,
        "staff",
        (S.REVIEWED,),
        S.NOT_SELECTED,
        {"reason": "排名靠后"},
        CallState.UNDER_REVIEW,
    ),
    "approve": Step(
        svc.application_approve,
        "director",
        (S.SHORTLISTED,),
        S.APPROVED,
        {},
        CallState.PUBLICITY,
    ),
    "not_approve": Step(
        svc.application_not_approve,
        "director",
        (S.SHORTLISTED,),
        S.NOT_APPROVED,
        {"reason": "公示期异议成立"},
        CallState.PUBLICITY,
    ),
}

ACTORS = [
    "applicant",
    "other_applicant",
    "staff",
    "other_staff",
    "director",
    "supervisor",
    "expert",
]


@pytest.fixture
def world(db):
    application = complete_application()
    office = application.call.office
    other_office = OfficeFactory()
    other_org = OrganisationFactory()
    users = {
        "applicant": member(Role.APPLICANT, application.organisation),
        "other_applicant": member(Role.APPLICANT, other_org),
        "staff": member(Role.OFFICE_STAFF, office),
        "other_staff": member(Role.OFFICE_STAFF, other_office),
        "director": member(Role.OFFICE_DIRECTOR, office),
        "supervisor": member(Role.SUPERVISOR, other_office),
        "expert": member(Role.EXPERT, other_org),
    }
    return application, users


def _prepare(application: Application, step: Step, state: S) -> Application:
    if step.call_state:
        force_state(application.call, step.call_state)
    force_state(application, state)
    return Application.objects.get(pk=application.pk)


def _snapshot(application: Application) -> tuple:
    application = Application.objects.get(pk=application.pk)
    return application.state, application.submitted_at, application.correction_due


CASES = [(name, state) for name, step in STEPS.items() for state in S]


@pytest.mark.parametrize(("name", "state"), CASES, ids=[f"{n}-from-{s}" for n, s in CASES])
def test_transition_from_every_state(world, name, state):
    application, users = world
    step = STEPS[name]
    application = _prepare(application, step, state)
    before_events = AuditEvent.objects.count()
    if state in step.sources:
        result = step.service(application=application, by=users[step.actor], **step.kwargs)
        assert result.state == step.target
        assert Application.objects.get(pk=application.pk).state == step.target
        event = AuditEvent.objects.latest("sequence")
        assert AuditEvent.objects.count() == before_events + 1
        assert (event.from_state, event.to_state) == (state, step.target)
        assert event.actor == users[step.actor]
        assert event.object_id == str(application.pk)
        assert event.reason == step.kwargs.get("reason", "")
    else:
        before = _snapshot(application)
        with pytest.raises(Conflict) as excinfo:
            step.service(application=application, by=users[step.actor], **step.kwargs)
        assert excinfo.value.message
        assert _snapshot(application) == before
        assert AuditEvent.objects.count() == before_events


WRONG = [(name, who) for name, step in STEPS.items() for who in ACTORS if who != step.actor]


@pytest.mark.parametrize(("name", "who"), WRONG, ids=[f"{n}-by-{w}" for n, w in WRONG])
def test_wrong_role_is_refused_and_nothing_changes(world, name, who):
    application, users = world
    step = STEPS[name]
    application = _prepare(application, step, step.sources[0])
    before = _snapshot(application)
    before_events = AuditEvent.objects.count()
    with pytest.raises(NotPermitted):
        step.service(application=application, by=users[who], **step.kwargs)
    assert _snapshot(application) == before
    assert AuditEvent.objects.count() == before_events


@pytest.mark.parametrize("name", ["return", "reject", "not_select", "not_approve"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_negative_decisions_need_a_reason(world, name, reason):
    from workflow.errors import Invalid

    application, users = world
    step = STEPS[name]
    application = _prepare(application, step, step.sources[0])
    with pytest.raises(Invalid):
        step.service(application=application, by=users[step.actor], reason=reason)
    assert Application.objects.get(pk=application.pk).state == step.sources[0]


def test_formal_check_is_recorded_with_reason_and_correction_deadline(world):
    application, users = world
    application = _prepare(application, STEPS["return"], S.SUBMITTED)
    svc.application_return(application=application, by=users["staff"], reason="缺少盖章页")
    check = FormalCheck.objects.get(application=application)
    assert (check.outcome, check.reason, check.checked_by) == (
        "returned",
        "缺少盖章页",
        users["staff"],
    )
    application.refresh_from_db()
    assert application.correction_due is not None


def test_office_step_refused_in_the_wrong_call_stage(world):
    application, users = world
    application = _prepare(application, STEPS["shortlist"], S.REVIEWED)
    force_state(application.call, CallState.PUBLICITY)
    with pytest.raises(Conflict):
        svc.application_shortlist(application=application, by=users["staff"])
    assert Application.objects.get(pk=application.pk).state == S.REVIEWED
