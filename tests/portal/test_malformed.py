"""Malformed posts get a form error and a 200, never a 500, and change nothing."""

import pytest
from django.urls import reverse

from tests.factories import pdf_upload
from tests.portal.helpers import application_data, audit_count
from workflow.choices import ApplicationState, AttachmentKind, FundingSource
from workflow.models import Application, Attachment

pytestmark = pytest.mark.django_db

SELF = f"funding_{FundingSource.SELF_RAISED.value}"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"construction_mode": "flying"}, "construction_mode"),
        ({"construction_mode": "park_led"}, "construction_mode"),  # not allowed by this call
        ({"functions": ["training", "teleportation"]}, "functions"),
        ({SELF: "abc"}, SELF),
        ({SELF: "-5"}, SELF),
        ({SELF: "1e400"}, SELF),
        ({SELF: "12345678901234"}, SELF),
        ({SELF: "1.234"}, SELF),
        ({"partners": ["999999"]}, "partners"),
        ({"partners": ["x"]}, "partners"),
        ({"contact_phone": "<script>"}, "contact_phone"),
    ],
)
def test_bad_application_posts(applicant_client, call, overrides, field):
    before = audit_count()
    response = applicant_client.post(
        reverse("portal:application_create", args=[call.pk]), application_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Application.objects.exists()
    assert audit_count() == before


def test_empty_post_to_create(applicant_client, call):
    response = applicant_client.post(reverse("portal:application_create", args=[call.pk]), {})
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert not Application.objects.exists()


def test_own_organisation_as_partner(applicant_client, call, organisation):
    response = applicant_client.post(
        reverse("portal:application_create", args=[call.pk]),
        application_data(partners=[organisation.pk]),
    )
    assert response.status_code == 200
    assert "partners" in response.context["form"].errors


def test_bad_edit_post_changes_nothing(applicant_client, draft):
    title = draft.title
    response = applicant_client.post(
        reverse("portal:application_edit", args=[draft.pk]),
        application_data(title="新标题", **{SELF: "lots"}),
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.title == title


@pytest.mark.parametrize(
    "data",
    [
        {"attachment-kind": "passport"},
        {"attachment-kind": AttachmentKind.OTHER},
        {},
    ],
    ids=["bad-kind", "no-file", "nothing"],
)
def test_bad_upload_posts(applicant_client, draft, data):
    rows = Attachment.objects.count()
    if data.get("attachment-kind") == "passport":
        data = {**data, "attachment-file": pdf_upload()}
    response = applicant_client.post(reverse("portal:attachment_add", args=[draft.pk]), data)
    assert response.status_code == 200
    assert response.context["attachment_form"].errors
    assert Attachment.objects.count() == rows


def test_over_long_withdraw_reason(applicant_client, submitted):
    response = applicant_client.post(
        reverse("portal:application_withdraw", args=[submitted.pk]),
        {"withdraw-reason": "长" * 2001},
    )
    assert response.status_code == 200
    assert response.context["withdraw_form"].errors["reason"]
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


@pytest.mark.parametrize("data", [{"check-outcome": "approve_all"}, {}, {"check-reason": "x"}])
def test_bad_formal_check_posts(staff_client, submitted, data):
    before = audit_count()
    response = staff_client.post(reverse("portal:office_formal_check", args=[submitted.pk]), data)
    assert response.status_code == 200
    assert response.context["check_form"].errors["outcome"]
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED
    assert audit_count() == before


def test_over_long_formal_check_reason(staff_client, submitted):
    response = staff_client.post(
        reverse("portal:office_formal_check", args=[submitted.pk]),
        {"check-outcome": "returned", "check-reason": "长" * 2001},
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


@pytest.mark.parametrize("query", ["?state=bogus", "?call=abc", "?call=999999", "?page=abc"])
def test_bad_queue_filters(staff_client, submitted, query):
    response = staff_client.get(reverse("portal:office_queue") + query)
    assert response.status_code == 200


def test_bad_page_numbers(client, applicant_client):
    assert client.get(reverse("portal:call_list") + "?page=-3").status_code == 200
    assert applicant_client.get(reverse("portal:application_list") + "?page=x").status_code == 200
