"""Avoidance requests (回避申请): an applicant names at most 3 experts; the office decides."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.factories import (
    ExpertFactory,
    OfficeFactory,
    OrganisationFactory,
    complete_application,
    force_state,
    member,
)
from workflow import selectors
from workflow.choices import ApplicationState, AvoidanceRequestState, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, AvoidanceRequest
from workflow.services.applications import application_submit
from workflow.services.avoidance import (
    avoidance_request_accept,
    avoidance_request_file,
    avoidance_request_refuse,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def applicant(db):
    return member(Role.APPLICANT, OrganisationFactory())


@pytest.fixture
def application(applicant):
    draft = complete_application(organisation=applicant.memberships.get().organisation)
    return application_submit(application=draft, by=applicant)


@pytest.fixture
def staff(application):
    return member(Role.OFFICE_STAFF, application.call.office)


@pytest.fixture
def experts(db):
    return ExpertFactory.create_batch(5)


def file(application, expert, by, reason="曾与我单位存在合作关系"):
    return avoidance_request_file(application=application, expert=expert, reason=reason, by=by)


def test_at_most_three_experts_the_fourth_is_refused(application, applicant, experts):
    requests = [file(application, e, applicant) for e in experts[:3]]
    assert all(r.state == AvoidanceRequestState.PENDING for r in requests)
    assert AuditEvent.objects.filter(action="avoidancerequest.file").count() == 3

    with pytest.raises(Invalid, match="at most 3 experts"):
        file(application, experts[3], applicant)
    assert application.avoidance_requests.count() == 3


def test_a_refused_request_still_counts(application, applicant, staff, experts):
    requests = [file(application, e, applicant) for e in experts[:3]]
    avoidance_request_refuse(request=requests[0], by=staff, reason="理由不充分")
    with pytest.raises(Invalid, match="at most 3 experts"):
        file(application, experts[3], applicant)


def test_the_same_expert_once_and_only_active_experts(application, applicant, experts):
    file(application, experts[0], applicant)
    with pytest.raises(Invalid, match="already asked"):
        file(application, experts[0], applicant)
    inactive = ExpertFactory(active=False)
    with pytest.raises(Invalid, match="active expert pool"):
        file(application, inactive, applicant)


def test_a_reason_is_required(application, applicant, experts):
    with pytest.raises(Invalid, match="reason is required"):
        file(application, experts[0], applicant, reason="  ")
    assert not AvoidanceRequest.objects.exists()


def test_only_the_owning_applicant_files(application, staff, experts):
    stranger = member(Role.APPLICANT, OrganisationFactory())
    for user in (stranger, staff, experts[1].user):
        with pytest.raises(NotPermitted):
            file(application, experts[0], user)
    assert not AvoidanceRequest.objects.exists()


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        (ApplicationState.DRAFT, False),
        (ApplicationState.SUBMITTED, True),
        (ApplicationState.RETURNED, False),
        (ApplicationState.ACCEPTED, True),
        (ApplicationState.UNDER_REVIEW, False),
        (ApplicationState.WITHDRAWN, False),
    ],
)
def test_filing_window(application, applicant, experts, state, allowed):
    force_state(application, state)
    if allowed:
        assert file(application, experts[0], applicant).pk
    else:
        with pytest.raises(Conflict, match="until expert review starts"):
            file(application, experts[0], applicant)


def test_office_staff_of_the_call_accept_and_refuse(application, applicant, staff, experts):
    first, second, third = (file(application, e, applicant) for e in experts[:3])

    avoidance_request_accept(request=first, by=staff)
    avoidance_request_refuse(request=second, by=staff, reason="无利害关系")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.decided_by) == (AvoidanceRequestState.ACCEPTED, staff)
    assert (second.state, second.decided_by) == (AvoidanceRequestState.REFUSED, staff)
    refusal = AuditEvent.objects.get(action="avoidancerequest.refuse")
    assert (refusal.reason, refusal.role, refusal.actor_id) == (
        "无利害关系",
        Role.OFFICE_STAFF,
        staff.pk,
    )
    assert refusal.from_state == AvoidanceRequestState.PENDING
    assert selectors.accepted_avoidance_expert_ids(application) == {experts[0].pk}
    assert list(selectors.pending_avoidance_requests(application.call)) == [third]
    shown = selectors.avoidance_requests_of(application)
    assert [r.decision_reason for r in shown] == ["", "无利害关系", ""]


def test_refusal_needs_a_reason(application, applicant, staff, experts):
    request = file(application, experts[0], applicant)
    with pytest.raises(Invalid, match="reason is required"):
        avoidance_request_refuse(request=request, by=staff, reason="")
    request.refresh_from_db()
    assert request.state == AvoidanceRequestState.PENDING


def test_only_staff_of_the_calls_office_decide(application, applicant, experts):
    request = file(application, experts[0], applicant)
    others = {
        "other office staff": member(Role.OFFICE_STAFF, OfficeFactory()),
        "director": member(Role.OFFICE_DIRECTOR, application.call.office),
        "applicant": applicant,
        "expert": experts[0].user,
    }
    for user in others.values():
        with pytest.raises(NotPermitted):
            avoidance_request_accept(request=request, by=user)
        with pytest.raises(NotPermitted):
            avoidance_request_refuse(request=request, by=user, reason="不同意")
    request.refresh_from_db()
    assert request.state == AvoidanceRequestState.PENDING
    assert selectors.accepted_avoidance_expert_ids(application) == set()


def test_a_decision_is_made_once(application, applicant, staff, experts):
    request = file(application, experts[0], applicant)
    avoidance_request_accept(request=request, by=staff)
    with pytest.raises(Conflict):
        avoidance_request_refuse(request=request, by=staff, reason="改主意")
    request.refresh_from_db()
    assert request.state == AvoidanceRequestState.ACCEPTED


def test_no_decision_after_review_starts(application, applicant, staff, experts):
    request = file(application, experts[0], applicant)
    force_state(application, ApplicationState.UNDER_REVIEW)
    with pytest.raises(Conflict, match="review of this application has started"):
        avoidance_request_accept(request=request, by=staff)
    request.refresh_from_db()
    assert request.state == AvoidanceRequestState.PENDING
