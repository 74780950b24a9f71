"""Every view checks permission: anonymous users log in, other organisations get 404,
non-office users get 403, and another office's objects are 404."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OfficeFactory, complete_application, member, pdf_upload
from tests.portal.helpers import application_data, audit_count, logged_in
from workflow.choices import ApplicationState, AttachmentKind, FormalCheckOutcome, Role
from workflow.models import Attachment

pytestmark = pytest.mark.django_db


def applicant_urls(application):
    attachment = application.attachments.first()
    return {
        "get": [
            reverse("portal:application_detail", args=[application.pk]),
            reverse("portal:application_edit", args=[application.pk]),
            reverse("portal:attachment_download", args=[application.pk, attachment.pk]),
        ],
        "post": [
            reverse("portal:application_edit", args=[application.pk]),
            reverse("portal:application_submit", args=[application.pk]),
            reverse("portal:application_withdraw", args=[application.pk]),
            reverse("portal:attachment_add", args=[application.pk]),
            reverse("portal:attachment_remove", args=[application.pk, attachment.pk]),
        ],
    }


def office_urls(application):
    call = application.call
    return {
        "get": [
            reverse("portal:office_queue"),
            reverse("portal:office_call_list"),
            reverse("portal:office_call_detail", args=[call.pk]),
            reverse("portal:office_application_detail", args=[application.pk]),
        ],
        "post": [
            reverse("portal:office_formal_check", args=[application.pk]),
            reverse("portal:office_call_action", args=[call.pk, "close"]),
        ],
    }


def test_another_organisation_gets_404_everywhere(stranger_client, draft):
    before, files = audit_count(), draft.attachments.count()
    urls = applicant_urls(draft)
    for url in urls["get"]:
        assert stranger_client.get(url).status_code == 404, url
    for url in urls["post"]:
        data = {**application_data(title="篡改"), "attachment-kind": AttachmentKind.OTHER}
        data["attachment-file"] = pdf_upload()
        assert stranger_client.post(url, data).status_code == 404, url
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT
    assert draft.title != "篡改"
    assert draft.attachments.count() == files
    assert audit_count() == before


def test_own_organisation_is_allowed(applicant_client, draft):
    for url in applicant_urls(draft)["get"]:
        assert applicant_client.get(url).status_code == 200, url


def test_anonymous_is_sent_to_login(draft, submitted):
    client = Client()
    urls = applicant_urls(draft)["get"] + office_urls(submitted)["get"]
    urls.append(reverse("portal:application_list"))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    for url in applicant_urls(draft)["post"] + office_urls(submitted)["post"]:
        response = client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


def test_anonymous_apply_is_sent_to_login(call):
    response = Client().get(reverse("portal:application_create", args=[call.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_applicant_gets_403_on_office_pages(applicant_client, submitted):
    urls = office_urls(submitted)
    for url in urls["get"]:
        assert applicant_client.get(url).status_code == 403, url
    for url in urls["post"]:
        assert applicant_client.post(url).status_code == 403, url


def test_office_staff_gets_403_on_applicant_pages(staff_client, call):
    assert staff_client.get(reverse("portal:application_list")).status_code == 403
    assert staff_client.get(reverse("portal:application_create", args=[call.pk])).status_code == 403


def test_staff_of_another_office(submitted):
    outsider = logged_in(member(Role.OFFICE_STAFF, OfficeFactory()))
    queue = outsider.get(reverse("portal:office_queue"), {"state": "all"})
    assert queue.status_code == 200
    assert list(queue.context["applications"]) == []
    assert submitted.title not in queue.content.decode()

    calls = outsider.get(reverse("portal:office_call_list"))
    assert list(calls.context["calls"]) == []

    for url in office_urls(submitted)["get"][2:]:
        assert outsider.get(url).status_code == 404, url
    response = outsider.post(
        reverse("portal:office_formal_check", args=[submitted.pk]),
        {"check-outcome": FormalCheckOutcome.PASSED},
    )
    assert response.status_code == 404
    attachment = submitted.attachments.first()
    download = reverse("portal:attachment_download", args=[submitted.pk, attachment.pk])
    assert outsider.get(download).status_code == 404
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


def test_office_cannot_see_drafts(staff_client, draft):
    assert (
        staff_client.get(reverse("portal:office_application_detail", args=[draft.pk])).status_code
        == 404
    )
    attachment = draft.attachments.first()
    download = reverse("portal:attachment_download", args=[draft.pk, attachment.pk])
    assert staff_client.get(download).status_code == 404


def test_attachment_of_another_application_is_404(applicant_client, draft, stranger):
    foreign = complete_application(organisation=stranger.memberships.get().organisation)
    attachment = foreign.attachments.first()
    # Own application in the URL, a foreign attachment id: still not reachable.
    for url in (
        reverse("portal:attachment_download", args=[draft.pk, attachment.pk]),
        reverse("portal:attachment_remove", args=[draft.pk, attachment.pk]),
    ):
        response = applicant_client.post(url) if "remove" in url else applicant_client.get(url)
        assert response.status_code == 404, url
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_user_without_role_gets_403(db, submitted):
    from tests.factories import UserFactory

    nobody = logged_in(UserFactory())
    assert nobody.get(reverse("portal:application_list")).status_code == 403
    assert nobody.get(reverse("portal:office_queue")).status_code == 403
    assert nobody.get(reverse("portal:home")).status_code == 200


def test_posts_need_a_csrf_token(applicant, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    response = client.post(reverse("portal:application_submit", args=[draft.pk]))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT
