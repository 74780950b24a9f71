"""The office's transitions and formal checks, the expert's own sheets, and my tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import remove_perm
from rest_framework.test import APIClient

from tests.factories import (
    CallFactory,
    OfficeFactory,
    complete_application,
    force_state,
    member,
    published_call,
    review_call,
    review_panel,
)
from workflow.choices import ApplicationState, CallState, Role
from workflow.models import AuditEvent, Call, FormalCheck

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


def _count(api, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


# Office: call transitions ---------------------------------------------------------------------


def test_publish_close_start_review():
    call = CallFactory(opens_at=timezone.now() - dt.timedelta(days=2))
    staff = member(Role.OFFICE_STAFF, call.office)
    api = client_for(staff)
    response = api.post(reverse("api:call_publish", args=[call.pk]))
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == CallState.PUBLISHED
    assert AuditEvent.objects.filter(action="call.publish", object_id=str(call.pk)).exists()
    # The window is still open: the service refuses to close it.
    early = api.post(reverse("api:call_close", args=[call.pk]))
    assert early.status_code == 400 and early.json()["detail"]
    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    assert api.post(reverse("api:call_close", args=[call.pk])).json()["state"] == CallState.CLOSED
    response = api.post(reverse("api:call_start_review", args=[call.pk]))
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == CallState.UNDER_REVIEW
    # Closing again is a state conflict.
    assert api.post(reverse("api:call_close", args=[call.pk])).status_code == 409


def test_call_transitions_refused_for_others():
    call = CallFactory()
    director = member(Role.OFFICE_DIRECTOR, call.office)
    cases = [
        (None, 401),
        (member(Role.APPLICANT, complete_application().organisation), 403),
        (member(Role.OFFICE_STAFF, OfficeFactory()), 404),  # another office
        (director, 403),  # the service wants staff
    ]
    for name in ("api:call_publish", "api:call_close", "api:call_start_review"):
        for user, expected in cases:
            response = client_for(user).post(reverse(name, args=[call.pk]))
            assert response.status_code == expected, (name, user)
    call.refresh_from_db()
    assert call.state == CallState.DRAFT


def test_office_call_list_own_office_only_and_constant_queries():
    office = OfficeFactory()
    staff = member(Role.OFFICE_STAFF, office)
    CallFactory()  # another office's
    for _n in range(2):
        CallFactory(office=office)
    api = client_for(staff)
    response = api.get(reverse("api:office_call_list"))
    assert response.status_code == 200
    assert response.json()["count"] == 2
    few = _count(api, reverse("api:office_call_list"))
    for _n in range(8):
        CallFactory(office=office)
    assert _count(api, reverse("api:office_call_list")) == few


# Office: formal checks ------------------------------------------------------------------------


@pytest.fixture
def submitted():
    application = complete_application()
    force_state(application, ApplicationState.SUBMITTED)
    application.staff = member(Role.OFFICE_STAFF, application.call.office)
    return application


@pytest.mark.parametrize(
    ("name", "reason", "state", "outcome"),
    [
        ("api:application_accept", "", ApplicationState.ACCEPTED, "passed"),
        ("api:application_return", "缺少盖章页", ApplicationState.RETURNED, "returned"),
        ("api:application_reject", "不符合申报条件", ApplicationState.REJECTED, "rejected"),
    ],
)
def test_formal_checks(submitted, name, reason, state, outcome):
    response = client_for(submitted.staff).post(
        reverse(name, args=[submitted.pk]), {"reason": reason}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == state
    check = FormalCheck.objects.get(application=submitted)
    assert check.outcome == outcome and check.reason == reason


@pytest.mark.parametrize("name", ["api:application_return", "api:application_reject"])
def test_return_and_reject_need_a_reason(submitted, name):
    response = client_for(submitted.staff).post(
        reverse(name, args=[submitted.pk]), {"reason": "  "}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


def test_formal_check_twice_is_a_conflict(submitted):
    api = client_for(submitted.staff)
    assert api.post(reverse("api:application_accept", args=[submitted.pk])).status_code == 200
    assert api.post(reverse("api:application_accept", args=[submitted.pk])).status_code == 409


def test_formal_checks_refused_for_others(submitted):
    cases = [
        (None, 401),
        (member(Role.APPLICANT, submitted.organisation), 403),
        (member(Role.OFFICE_STAFF, OfficeFactory()), 404),
    ]
    for name in ("api:application_accept", "api:application_return", "api:application_reject"):
        for user, expected in cases:
            response = client_for(user).post(
                reverse(name, args=[submitted.pk]), {"reason": "理由"}, format="json"
            )
            assert response.status_code == expected, (name, user)
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED
    assert not FormalCheck.objects.exists()


def test_office_never_sees_drafts(submitted):
    draft = complete_application(call=submitted.call)
    api = client_for(submitted.staff)
    response = api.get(reverse("api:office_application_list"))
    assert [a["id"] for a in response.json()["results"]] == [submitted.pk]
    assert api.post(reverse("api:application_accept", args=[draft.pk])).status_code == 404
    assert api.get(reverse("api:office_application_list") + "?state=nope").status_code == 400


def test_office_application_list_constant_queries(submitted):
    api = client_for(submitted.staff)
    complete_application(call=submitted.call)
    force_state(complete_application(call=submitted.call), ApplicationState.SUBMITTED)
    few = _count(api, reverse("api:office_application_list"))
    for _n in range(8):
        force_state(complete_application(call=submitted.call), ApplicationState.SUBMITTED)
    assert _count(api, reverse("api:office_application_list")) == few


# Expert ---------------------------------------------------------------------------------------


@pytest.fixture
def panel():
    call, staff, applications = review_call(applications=2)
    _draw, sheets = review_panel(call, applications, experts=2)
    return call, staff, applications, sheets


def test_expert_sees_own_sheets_only(panel):
    _call, _staff, _applications, sheets = panel
    (mine, theirs) = list(sheets)
    api = client_for(mine.user)
    response = api.get(reverse("api:assignment_list"))
    assert response.status_code == 200
    assert sorted(a["id"] for a in response.json()["results"]) == sorted(a.pk for a in sheets[mine])
    own = sheets[mine][0]
    detail = api.get(reverse("api:assignment_detail", args=[own.pk]))
    assert detail.status_code == 200
    summary = detail.json()["application_summary"]
    assert summary["title"] == own.application.title
    assert theirs.name not in detail.content.decode()
    other = sheets[theirs][0]
    assert api.get(reverse("api:assignment_detail", args=[other.pk])).status_code == 404


def test_application_summary_only_with_the_read_permission(panel):
    _call, _staff, _applications, sheets = panel
    expert = next(iter(sheets))
    sheet = sheets[expert][0]
    remove_perm("workflow.view_application", expert.user, sheet.application)
    detail = client_for(expert.user).get(reverse("api:assignment_detail", args=[sheet.pk]))
    assert detail.status_code == 200
    assert detail.json()["application_summary"] is None
    remove_perm("workflow.score_assignment", expert.user, sheet)
    detail = client_for(expert.user).get(reverse("api:assignment_detail", args=[sheet.pk]))
    assert detail.status_code == 404


def test_assignments_refused_for_anonymous_and_wrong_role(panel):
    _call, staff, applications, sheets = panel
    sheet = next(iter(sheets.values()))[0]
    applicant = member(Role.APPLICANT, applications[0].organisation)
    for user, expected in ((None, 401), (staff, 403), (applicant, 403)):
        api = client_for(user)
        assert api.get(reverse("api:assignment_list")).status_code == expected
        assert api.get(reverse("api:assignment_detail", args=[sheet.pk])).status_code == expected


def test_assignment_list_constant_queries():
    call, _staff, applications = review_call(applications=2)
    _draw, sheets = review_panel(call, applications, experts=1)
    expert = next(iter(sheets))
    api = client_for(expert.user)
    few = _count(api, reverse("api:assignment_list"))
    call2, _staff2, more = review_call(applications=8)
    from tests.factories import AssignmentFactory, InvitationFactory

    invitation = InvitationFactory(expert=expert, draw__call=call2)
    for application in more:
        AssignmentFactory(invitation=invitation, application=application)
    response = api.get(reverse("api:assignment_list"))
    assert response.json()["count"] == 10
    assert _count(api, reverse("api:assignment_list")) == few


# My tasks -------------------------------------------------------------------------------------


def test_my_tasks():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    response = client_for(staff).get(reverse("api:my_tasks"))
    assert response.status_code == 200
    rows = response.json()
    assert isinstance(rows, list)
    for row in rows:
        assert set(row) == {"title", "subject", "due", "overdue", "url"}
    assert client_for().get(reverse("api:my_tasks")).status_code == 401


def test_my_tasks_lists_the_inbox_rows():
    from processes import engine

    application = complete_application()
    staff = member(Role.OFFICE_STAFF, application.call.office)
    applicant = member(Role.APPLICANT, application.organisation)
    client_for(applicant).post(reverse("api:application_submit", args=[application.pk]))
    expected = [(r.title, r.subject, r.url) for r in engine.inbox(staff)]
    rows = client_for(staff).get(reverse("api:my_tasks")).json()
    assert [(r["title"], r["subject"], r["url"]) for r in rows] == expected
