"""The applicant's API: own organisation's applications only, every change through the same
services as the portal (application_create/update/submit/withdraw)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import (
    OrganisationFactory,
    complete_application,
    force_state,
    member,
    published_call,
)
from workflow.choices import ApplicationState, CallState, Function, FundingSource, Role
from workflow.models import Application, AuditEvent

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def draft():
    application = complete_application()
    application.applicant = member(Role.APPLICANT, application.organisation)
    return application


def _payload(call, **extra):
    return {
        "call": call.pk,
        "title": "智能制造实训基地",
        "construction_mode": "school_led",
        "functions": [Function.TRAINING],
        "plan": "建设实训车间两处。",
        "project_lead": "王五",
        "contact_phone": "0351-7654321",
        "funding": {FundingSource.SELF_RAISED: "300.00"},
        **extra,
    }


def test_list_and_detail_show_own_organisation_only(draft):
    other = complete_application(call=draft.call)
    api = client_for(draft.applicant)
    response = api.get(reverse("api:application_list"))
    assert response.status_code == 200
    assert [a["id"] for a in response.json()["results"]] == [draft.pk]
    detail = api.get(reverse("api:application_detail", args=[draft.pk]))
    assert detail.status_code == 200
    assert detail.json()["funding"] == {FundingSource.SELF_RAISED: "500.00"}
    assert api.get(reverse("api:application_detail", args=[other.pk])).status_code == 404


def test_create_a_draft_through_the_service():
    call = published_call()
    organisation = OrganisationFactory()
    partner = OrganisationFactory()
    user = member(Role.APPLICANT, organisation)
    response = client_for(user).post(
        reverse("api:application_list"), _payload(call, partners=[partner.pk]), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == ApplicationState.DRAFT
    assert data["organisation"] == organisation.pk
    assert data["partners"] == [partner.pk]
    assert data["funding"] == {FundingSource.SELF_RAISED: "300.00"}
    event = AuditEvent.objects.get(action="application.create", object_id=str(data["id"]))
    assert event.actor == user and event.role == Role.APPLICANT


def test_create_twice_is_a_conflict():
    call = published_call()
    user = member(Role.APPLICANT, OrganisationFactory())
    api = client_for(user)
    assert (
        api.post(reverse("api:application_list"), _payload(call), format="json").status_code == 201
    )
    second = api.post(reverse("api:application_list"), _payload(call), format="json")
    assert second.status_code == 409
    assert second.json()["detail"]


def test_create_for_another_organisation_is_403():
    call = published_call()
    user = member(Role.APPLICANT, OrganisationFactory())
    stranger = OrganisationFactory()
    response = client_for(user).post(
        reverse("api:application_list"), _payload(call, organisation=stranger.pk), format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Application.objects.exists()


def test_create_on_a_draft_call_is_refused():
    from tests.factories import CallFactory

    call = CallFactory()
    user = member(Role.APPLICANT, OrganisationFactory())
    response = client_for(user).post(reverse("api:application_list"), _payload(call), format="json")
    assert response.status_code == 400
    assert "call" in response.json()


def test_create_on_a_closed_call_is_400_with_the_services_message():
    call = published_call()
    force_state(call, CallState.CLOSED)
    user = member(Role.APPLICANT, OrganisationFactory())
    response = client_for(user).post(reverse("api:application_list"), _payload(call), format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_update_a_draft(draft):
    response = client_for(draft.applicant).patch(
        reverse("api:application_detail", args=[draft.pk]),
        {"title": "新标题", "funding": {FundingSource.SOCIAL_CAPITAL: "20.5"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "新标题"
    assert response.json()["funding"] == {FundingSource.SOCIAL_CAPITAL: "20.50"}
    assert AuditEvent.objects.filter(action="application.update", object_id=str(draft.pk)).exists()


def test_update_a_submitted_application_is_a_conflict(draft):
    force_state(draft, ApplicationState.SUBMITTED)
    response = client_for(draft.applicant).patch(
        reverse("api:application_detail", args=[draft.pk]), {"title": "x"}, format="json"
    )
    assert response.status_code == 409


def _submit_event(application) -> tuple:
    event = AuditEvent.objects.get(action="application.submit", object_id=str(application.pk))
    return (
        event.action,
        event.object_type,
        event.actor_id is not None,
        event.role,
        event.from_state,
        event.to_state,
        event.reason,
    )


def test_submit_through_the_api_writes_the_same_audit_event_as_the_portal(draft, client):
    through_api = client_for(draft.applicant).post(
        reverse("api:application_submit", args=[draft.pk])
    )
    assert through_api.status_code == 200, through_api.json()
    assert through_api.json()["state"] == ApplicationState.SUBMITTED

    other = complete_application(call=draft.call)
    other_user = member(Role.APPLICANT, other.organisation)
    client.force_login(other_user)
    assert client.post(reverse("portal:application_submit", args=[other.pk])).status_code == 302
    other.refresh_from_db()
    assert other.state == ApplicationState.SUBMITTED

    assert _submit_event(draft) == _submit_event(other)
    assert (
        AuditEvent.objects.get(action="application.submit", object_id=str(draft.pk)).actor
        == draft.applicant
    )


def test_submit_an_incomplete_draft_is_400_with_problems():
    call = published_call()
    from tests.factories import ApplicationFactory

    application = ApplicationFactory(call=call)
    user = member(Role.APPLICANT, application.organisation)
    response = client_for(user).post(reverse("api:application_submit", args=[application.pk]))
    assert response.status_code == 400
    assert response.json()["detail"] and response.json()["problems"]
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


def test_withdraw(draft):
    api = client_for(draft.applicant)
    assert api.post(reverse("api:application_submit", args=[draft.pk])).status_code == 200
    response = api.post(
        reverse("api:application_withdraw", args=[draft.pk]), {"reason": "调整方案"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == ApplicationState.WITHDRAWN
    event = AuditEvent.objects.get(action="application.withdraw", object_id=str(draft.pk))
    assert event.reason == "调整方案"


def test_withdraw_a_draft_is_a_conflict(draft):
    response = client_for(draft.applicant).post(
        reverse("api:application_withdraw", args=[draft.pk]), {}, format="json"
    )
    assert response.status_code == 409


# Who may: anonymous, wrong role, other organisation -------------------------------------------


def _refusals(draft):
    office_staff = member(Role.OFFICE_STAFF, draft.call.office)
    stranger = member(Role.APPLICANT, OrganisationFactory())
    return [
        ("anonymous", None, 401),
        ("office staff (wrong role)", office_staff, 403),
        ("other organisation", stranger, 404),
    ]


REQUESTS = [
    ("get", "api:application_detail", None),
    ("patch", "api:application_detail", {"title": "x"}),
    ("post", "api:application_submit", None),
    ("post", "api:application_withdraw", {}),
]


@pytest.mark.parametrize(("method", "name", "body"), REQUESTS)
def test_refused_for_others(draft, method, name, body):
    for label, user, expected in _refusals(draft):
        response = getattr(client_for(user), method)(
            reverse(name, args=[draft.pk]), body, format="json"
        )
        assert response.status_code == expected, label
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT
    assert draft.title != "x"


def test_list_and_create_refused_for_anonymous_and_wrong_role():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    for user, expected in ((None, 401), (staff, 403)):
        api = client_for(user)
        assert api.get(reverse("api:application_list")).status_code == expected
        assert (
            api.post(reverse("api:application_list"), _payload(call), format="json").status_code
            == expected
        )
    assert not Application.objects.exists()


def test_token_authentication(draft):
    token = Token.objects.create(user=draft.applicant)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(reverse("api:application_list")).status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert api.get(reverse("api:application_list")).status_code == 401


def test_obtain_a_token_with_username_and_password(draft):
    from tests.factories import PASSWORD

    response = APIClient().post(
        reverse("api:token"),
        {"username": draft.applicant.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=draft.applicant).key


# Malformed requests: 400 with field errors, never 500 -----------------------------------------


def test_malformed_json_is_400(draft):
    api = client_for(draft.applicant)
    for name, args in (("api:application_list", []), ("api:application_detail", [draft.pk])):
        method = api.post if name == "api:application_list" else api.patch
        response = method(reverse(name, args=args), "{not json", content_type="application/json")
        assert response.status_code == 400
        assert "detail" in response.json()


BAD_FIELDS = [
    ({"title": ["a list"]}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"functions": "training"}, "functions"),
    ({"functions": ["flying"]}, "functions"),
    ({"construction_mode": 3}, "construction_mode"),
    ({"indicator_values": [1, 2]}, "indicator_values"),
    ({"partners": ["a"]}, "partners"),
    ({"partners": 7}, "partners"),
    ({"funding": {"self_raised": "lots"}}, "funding"),
    ({"funding": {"self_raised": "-1"}}, "funding"),
    ({"funding": {"self_raised": "12345678901.00"}}, "funding"),
    ({"funding": {"lottery": "1"}}, "funding"),
    ({"funding": ["self_raised"]}, "funding"),
]


@pytest.mark.parametrize(("body", "field"), BAD_FIELDS)
def test_wrong_types_are_400_with_field_errors(draft, body, field):
    api = client_for(draft.applicant)
    response = api.patch(reverse("api:application_detail", args=[draft.pk]), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    created = api.post(
        reverse("api:application_list"), {**_payload(draft.call), **body}, format="json"
    )
    assert created.status_code == 400
    assert field in created.json()


def test_create_with_a_wrong_call_type_is_400(draft):
    api = client_for(draft.applicant)
    for call in ("abc", None, -1, 10**9):
        response = api.post(
            reverse("api:application_list"), {**_payload(draft.call), "call": call}, format="json"
        )
        assert response.status_code == 400
        assert "call" in response.json()


def test_withdraw_reason_wrong_type_is_400(draft):
    force_state(draft, ApplicationState.SUBMITTED)
    response = client_for(draft.applicant).post(
        reverse("api:application_withdraw", args=[draft.pk]),
        json.dumps({"reason": {"a": 1}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "reason" in response.json()


def test_application_list_runs_a_constant_number_of_queries():
    organisation = OrganisationFactory()
    user = member(Role.APPLICANT, organisation)
    api = client_for(user)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(reverse("api:application_list")).status_code == 200
        return len(ctx.captured_queries)

    for _n in range(2):
        complete_application(organisation=organisation)
    few = count()
    for _n in range(8):
        complete_application(organisation=organisation)
    assert count() == few
