"""容错纠错 services: request, decision on evidence, correction, verification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Notification
from tests.factories import OrganisationFactory, member
from tests.factories_aftercare import (
    audit_event_about,
    awarded_project,
    decision_data,
    project,
    tolerance_requested,
)
from workflow.choices import ApplicationState, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, ToleranceCase
from workflow.models.tolerance import ToleranceCaseState as S
from workflow.services.tolerance import (
    evidence_events,
    tolerance_decide,
    tolerance_report_correction,
    tolerance_request,
    tolerance_verify,
)

pytestmark = pytest.mark.django_db


def case_actions(case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="workflow.tolerancecase", object_id=str(case.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_case_from_request_to_verified_correction_with_one_rejection():
    made, case = tolerance_requested()
    assert case.state == S.REQUESTED
    office_notes = Notification.objects.filter(kind=Kind.OFFICE_TOLERANCE_REQUESTED)
    assert made.staff.pk in office_notes.values_list("recipient_id", flat=True)
    assert made.application.organisation.name in office_notes.first().text
    earlier = audit_event_about(made.application)
    data = decision_data(case)
    data["evidence_ids"].append(earlier.pk)
    tolerance_decide(case=case, by=made.staff, **data)
    case.refresh_from_db()
    assert case.state == S.CORRECTING
    assert case.decision == "exempt"
    assert case.decided_by == made.staff
    assert set(case.evidence.values_list("pk", flat=True)) == set(data["evidence_ids"])
    assert Notification.objects.get(kind=Kind.TOLERANCE_DECIDED).recipient == made.applicant

    tolerance_report_correction(case=case, by=made.applicant, report="已补齐设备。")
    case.refresh_from_db()
    assert case.state == S.CORRECTED
    assert Notification.objects.filter(
        kind=Kind.OFFICE_CORRECTION_REPORTED, recipient=made.staff
    ).exists()

    with pytest.raises(Invalid):
        tolerance_verify(case=case, by=made.staff, accepted=False, note=" ")
    tolerance_verify(case=case, by=made.staff, accepted=False, note="培训任务尚未完成。")
    case.refresh_from_db()
    assert case.state == S.CORRECTING
    rejection = AuditEvent.objects.get(action="tolerancecase.reject_correction")
    assert rejection.reason == "培训任务尚未完成。"

    tolerance_report_correction(case=case, by=made.applicant, report="已完成全部培训任务。")
    tolerance_verify(case=case, by=made.staff, accepted=True, note="")
    case.refresh_from_db()
    assert case.state == S.CLOSED
    assert case.verified_by == made.staff and case.verified_at
    assert case.correction_report == "已完成全部培训任务。"
    assert Notification.objects.get(kind=Kind.TOLERANCE_CLOSED).recipient == made.applicant
    assert case_actions(case) == [
        "tolerancecase.request",
        "tolerancecase.decide",
        "tolerancecase.report_correction",
        "tolerancecase.reject_correction",
        "tolerancecase.report_correction",
        "tolerancecase.verify",
    ]
    # Closed: a new request may follow.
    _made, second = tolerance_requested(made)
    assert second.pk != case.pk


@pytest.mark.parametrize(
    "state",
    [
        ApplicationState.CONSTRUCTING,
        ApplicationState.ACCEPTANCE,
        ApplicationState.RECTIFYING,
        ApplicationState.AWARDED,
    ],
)
def test_request_for_each_project_state(state):
    made, case = tolerance_requested(project(state))
    assert case.application == made.application


@pytest.mark.parametrize(
    "state", [ApplicationState.APPROVED, ApplicationState.SUBMITTED, ApplicationState.REVOKED]
)
def test_request_refused_before_the_project_exists(state):
    made = project(state)
    with pytest.raises(Invalid):
        tolerance_request(
            application=made.application, by=made.applicant, shortfall="x", reasons="y"
        )
    assert not ToleranceCase.objects.exists()


def test_one_open_case_at_a_time_and_own_organisation_only():
    made, _case = tolerance_requested()
    with pytest.raises(Conflict):
        tolerance_request(
            application=made.application, by=made.applicant, shortfall="x", reasons="y"
        )
    stranger = member(Role.APPLICANT, OrganisationFactory())
    other = project()
    for user in (stranger, other.staff, made.staff):
        with pytest.raises(NotPermitted):
            tolerance_request(application=other.application, by=user, shortfall="x", reasons="y")
    with pytest.raises(Invalid):
        tolerance_request(
            application=other.application, by=other.applicant, shortfall="", reasons="y"
        )


def test_evidence_from_another_application_is_refused():
    made, case = tolerance_requested()
    other, other_case = tolerance_requested()
    foreign = audit_event_about(other.application)
    data = decision_data(case)
    data["evidence_ids"] = [*data["evidence_ids"], foreign.pk]
    with pytest.raises(Invalid) as exc:
        tolerance_decide(case=case, by=made.staff, **data)
    assert f"#{foreign.sequence}" in exc.value.message
    # another project's case is not evidence either
    other_case_event = AuditEvent.objects.get(
        object_type="workflow.tolerancecase", object_id=str(other_case.pk)
    )
    with pytest.raises(Invalid):
        tolerance_decide(
            case=case, by=made.staff, **decision_data(case, evidence_ids=[other_case_event.pk])
        )
    for bad in ([], ["x"], [10**9]):
        with pytest.raises(Invalid):
            tolerance_decide(case=case, by=made.staff, **decision_data(case, evidence_ids=bad))
    case.refresh_from_db()
    assert case.state == S.REQUESTED
    assert not case.evidence.exists()


def test_events_of_the_award_and_performance_are_evidence():
    made = awarded_project()
    award_event = audit_event_about(made.award, action="award.grant")
    _made, case = tolerance_requested(made)
    assert award_event in evidence_events(case)
    other = awarded_project()
    assert audit_event_about(other.award, action="award.grant") not in evidence_events(case)


@pytest.mark.parametrize(
    "overrides",
    [
        {"decision": "exempt", "proactive_correction": False},
        {"decision": "reduced", "no_personal_gain": False},
        {"decision": "reduced", "exploratory": False, "procedures_followed": False},
        {"decision": "pardon"},
        {"exploratory": None},
        {"decision_reason": ""},
        {"correction_plan": "  "},
        {"correction_due": None},
        {"correction_due": dt.date(2020, 1, 1)},
    ],
)
def test_disallowed_or_incomplete_decisions_are_refused(overrides):
    made, case = tolerance_requested()
    with pytest.raises(Invalid):
        tolerance_decide(case=case, by=made.staff, **decision_data(case, **overrides))
    case.refresh_from_db()
    assert case.state == S.REQUESTED
    assert case_actions(case) == ["tolerancecase.request"]


def test_refusal_with_personal_gain_is_allowed():
    made, case = tolerance_requested()
    tolerance_decide(
        case=case,
        by=made.staff,
        **decision_data(case, decision="refused", no_personal_gain=False),
    )
    case.refresh_from_db()
    assert case.decision == "refused"
    assert case.no_personal_gain is False


def test_supervisor_and_others_cannot_act():
    made, case = tolerance_requested()
    supervisor = member(Role.SUPERVISOR, made.office)
    director = member(Role.OFFICE_DIRECTOR, made.office)
    other_staff = project().staff
    for user in (supervisor, director, other_staff, made.applicant):
        with pytest.raises(NotPermitted):
            tolerance_decide(case=case, by=user, **decision_data(case))
    tolerance_decide(case=case, by=made.staff, **decision_data(case))
    for user in (supervisor, made.staff):
        with pytest.raises(NotPermitted):
            tolerance_report_correction(case=case, by=user, report="x")
    tolerance_report_correction(case=case, by=made.applicant, report="已纠正。")
    for user in (supervisor, made.applicant, other_staff):
        with pytest.raises(NotPermitted):
            tolerance_verify(case=case, by=user, accepted=True, note="")


def test_states_are_enforced():
    made, case = tolerance_requested()
    with pytest.raises(Conflict):
        tolerance_report_correction(case=case, by=made.applicant, report="x")
    with pytest.raises(Conflict):
        tolerance_verify(case=case, by=made.staff, accepted=True, note="")
    tolerance_decide(case=case, by=made.staff, **decision_data(case))
    with pytest.raises(Conflict):
        tolerance_decide(case=case, by=made.staff, **decision_data(case))
    with pytest.raises(Invalid):
        tolerance_report_correction(case=case, by=made.applicant, report="")


def test_decision_is_on_the_audit_trail_with_the_evidence():
    made, case = tolerance_requested()
    data = decision_data(case, decision="reduced", exploratory=False)
    tolerance_decide(case=case, by=made.staff, **data)
    event = AuditEvent.objects.get(action="tolerancecase.decide")
    assert event.diff["decision"] == "reduced"
    assert event.diff["exploratory"] is False
    request_event = AuditEvent.objects.get(action="tolerancecase.request")
    assert event.diff["evidence"] == [request_event.sequence]
    assert event.reason == data["decision_reason"]
    assert (
        event.diff["correction_due"] == (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    )
