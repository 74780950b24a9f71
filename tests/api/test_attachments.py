"""Attachments through the API: the applicant lists, uploads (multipart) and removes PDFs of an
own draft through attachment_add / attachment_remove; whoever may see the application downloads
them, as with the portal's attachment_download. Bad uploads are 400 and store nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import (
    AssignmentFactory,
    DepartmentFactory,
    OrganisationFactory,
    ReviewExpertFactory,
    complete_application,
    force_state,
    member,
    pdf_bytes,
    pdf_upload,
)
from tests.portal.helpers import logged_in
from workflow.choices import ApplicationState, AttachmentKind, Role
from workflow.models import Attachment, AuditEvent

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        api.force_authenticate(user)
    return api


def media_files() -> set[Path]:
    """Every stored file, whatever the application."""
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def snapshot() -> tuple:
    return (
        sorted(Attachment.objects.values_list("pk", "kind", "sha256")),
        AuditEvent.objects.count(),
        media_files(),
    )


def list_url(application) -> str:
    return reverse("api:attachment_list", args=[application.pk])


def detail_url(attachment) -> str:
    return reverse("api:attachment_detail", args=[attachment.application_id, attachment.pk])


def upload(api, application, file, kind=AttachmentKind.OTHER):
    data = {"kind": kind}
    if file is not None:
        data["file"] = file
    return api.post(list_url(application), data, format="multipart")


@pytest.fixture
def draft():
    application = complete_application()
    application.applicant = member(Role.APPLICANT, application.organisation)
    return application


# The applicant --------------------------------------------------------------------------------


def test_list_shows_the_documents(draft):
    response = client_for(draft.applicant).get(list_url(draft))
    assert response.status_code == 200
    rows = response.json()["results"]
    stored = list(draft.attachments.order_by("kind", "uploaded_at", "id"))
    assert [r["id"] for r in rows] == [a.pk for a in stored]
    first = rows[0]
    assert set(first) == {"id", "kind", "name", "size", "sha256", "uploaded_at", "download"}
    assert first["kind"] == stored[0].kind and first["name"] == stored[0].original_name
    assert first["download"] == detail_url(stored[0])


def test_upload_stores_the_pdf_through_the_service(draft):
    before = media_files()
    content = pdf_bytes(pages=2)
    response = upload(client_for(draft.applicant), draft, pdf_upload("合作协议.pdf", content))
    assert response.status_code == 201, response.json()
    data = response.json()
    attachment = Attachment.objects.get(pk=data["id"])
    assert attachment.application == draft and attachment.kind == AttachmentKind.OTHER
    assert data["name"] == "合作协议.pdf" and data["size"] == len(content)
    assert len(media_files() - before) == 1
    with attachment.file.open("rb") as handle:
        assert handle.read() == content
    event = AuditEvent.objects.get(action="attachment.add", object_id=str(draft.pk))
    assert event.actor == draft.applicant and event.role == Role.APPLICANT
    assert event.diff["attachment"] == attachment.pk and event.diff["pages"] == 2


def _added_event(application) -> tuple:
    event = AuditEvent.objects.get(action="attachment.add", object_id=str(application.pk))
    diff = {k: v for k, v in event.diff.items() if k != "attachment"}
    return (event.action, event.object_type, event.role, event.from_state, event.to_state, diff)


def test_upload_writes_the_same_audit_event_as_the_portal(draft):
    content = pdf_bytes()
    assert upload(client_for(draft.applicant), draft, pdf_upload("a.pdf", content)).status_code == (
        201
    )
    other = complete_application(call=draft.call)
    portal = logged_in(member(Role.APPLICANT, other.organisation))
    response = portal.post(
        reverse("portal:attachment_add", args=[other.pk]),
        {"attachment-kind": AttachmentKind.OTHER, "attachment-file": pdf_upload("a.pdf", content)},
    )
    assert response.status_code == 302
    assert _added_event(draft) == _added_event(other)


def test_download_streams_the_pdf(draft):
    attachment = draft.attachments.first()
    with attachment.file.open("rb") as handle:
        content = handle.read()
    response = client_for(draft.applicant).get(detail_url(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == content


def test_download_errors_are_json_even_when_a_pdf_is_asked_for(draft):
    attachment = draft.attachments.first()
    stranger = member(Role.APPLICANT, OrganisationFactory())
    response = client_for(stranger).get(detail_url(attachment), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response.json()["detail"]
    missing = reverse("api:attachment_detail", args=[draft.pk, 10**9])
    assert client_for(draft.applicant).get(missing).status_code == 404


def test_a_file_missing_from_storage_is_404(draft):
    attachment = draft.attachments.first()
    attachment.file.storage.delete(attachment.file.name)
    assert client_for(draft.applicant).get(detail_url(attachment)).status_code == 404


def test_delete_removes_the_document_through_the_service(draft, django_capture_on_commit_callbacks):
    attachment = draft.attachments.first()
    stored = Path(attachment.file.path)
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(draft.applicant).delete(detail_url(attachment))
    assert response.status_code == 204
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not stored.exists()
    event = AuditEvent.objects.get(action="attachment.remove", object_id=str(draft.pk))
    assert event.actor == draft.applicant and event.diff["attachment"] == attachment.pk


def _removed_event(application) -> tuple:
    event = AuditEvent.objects.get(action="attachment.remove", object_id=str(application.pk))
    # The names differ: the set-up names files in the language active at the time.
    diff = {k: v for k, v in event.diff.items() if k not in ("attachment", "name")}
    return (event.action, event.object_type, event.role, diff)


def test_delete_writes_the_same_audit_event_as_the_portal(draft):
    attachment = draft.attachments.first()
    assert client_for(draft.applicant).delete(detail_url(attachment)).status_code == 204
    other = complete_application(call=draft.call)
    theirs = other.attachments.get(kind=attachment.kind)
    portal = logged_in(member(Role.APPLICANT, other.organisation))
    url = reverse("portal:attachment_remove", args=[other.pk, theirs.pk])
    assert portal.post(url).status_code == 302
    assert _removed_event(draft) == _removed_event(other)


def test_delete_an_attachment_of_another_application_is_404(draft):
    other = complete_application(call=draft.call)
    foreign = other.attachments.first()
    url = reverse("api:attachment_detail", args=[draft.pk, foreign.pk])
    before = snapshot()
    assert client_for(draft.applicant).delete(url).status_code == 404
    assert client_for(draft.applicant).get(url).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    "state", [ApplicationState.SUBMITTED, ApplicationState.ACCEPTED, ApplicationState.WITHDRAWN]
)
def test_a_submitted_application_cannot_change_409(draft, state):
    force_state(draft, state)
    api = client_for(draft.applicant)
    before = snapshot()
    response = upload(api, draft, pdf_upload())
    assert response.status_code == 409
    assert response.json()["detail"]
    response = api.delete(detail_url(draft.attachments.first()))
    assert response.status_code == 409
    assert snapshot() == before


# Bad uploads: 400 with the message on the field, nothing stored ------------------------------


@pytest.mark.parametrize(
    ("make_file", "field", "message"),
    [
        (lambda: None, "file", "No file was submitted."),
        (
            lambda: SimpleUploadedFile("空文件.pdf", b"", "application/pdf"),
            "file",
            "The file is empty.",
        ),
        (
            lambda: SimpleUploadedFile("申报书.pdf", "这不是PDF文件".encode(), "application/pdf"),
            "file",
            "The file is not a PDF document.",
        ),
        (
            lambda: SimpleUploadedFile("截断.pdf", pdf_bytes()[:200], "application/pdf"),
            "file",
            "The PDF file is damaged or incomplete",
        ),
        (lambda: "not a file", "file", "The submitted data was not a file."),
    ],
    ids=["missing", "zero-bytes", "text-named-pdf", "truncated-pdf", "not-a-file"],
)
def test_bad_file_is_400_and_stores_nothing(draft, make_file, field, message):
    before = snapshot()
    response = upload(client_for(draft.applicant), draft, make_file())
    assert response.status_code == 400
    errors = response.json()
    assert any(message in m for m in errors[field]), errors
    assert snapshot() == before


def test_oversized_file_is_400_and_stores_nothing(draft, settings):
    settings.ATTACHMENT_MAX_BYTES = 200
    before = snapshot()
    response = upload(client_for(draft.applicant), draft, pdf_upload())
    assert response.status_code == 400
    assert "The file is larger than the limit of 200" in response.json()["file"][0]
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["", "passport", None])
def test_wrong_kind_is_400(draft, kind):
    before = snapshot()
    api = client_for(draft.applicant)
    data = {"file": pdf_upload()}
    if kind is not None:
        data["kind"] = kind
    response = api.post(list_url(draft), data, format="multipart")
    assert response.status_code == 400
    assert "kind" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'--xyz\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother', "xyz"),
        (b"garbage", None),
        (b"--abc\r\nno headers at all\r\n--abc--", "abc"),
    ],
    ids=["unterminated", "no-boundary", "no-part-headers"],
)
def test_malformed_multipart_is_400(draft, body, content_type):
    before = snapshot()
    header = "multipart/form-data" + (f"; boundary={content_type}" if content_type else "")
    response = client_for(draft.applicant).generic(
        "POST", list_url(draft), body, content_type=header
    )
    assert response.status_code == 400
    assert response.json()
    assert snapshot() == before


def test_json_instead_of_multipart_is_refused(draft):
    before = snapshot()
    response = client_for(draft.applicant).post(
        list_url(draft), {"kind": "other", "file": "JVBERi0="}, format="json"
    )
    assert response.status_code == 415
    assert response.json()["detail"]
    assert snapshot() == before


# Who may -------------------------------------------------------------------------------------


def _strangers(application) -> list[tuple[str, object, int, int]]:
    """(label, user, status for reading, status for changing)."""
    return [
        ("anonymous", None, 401, 401),
        ("other organisation", member(Role.APPLICANT, OrganisationFactory()), 404, 404),
        ("unassigned expert", ReviewExpertFactory().user, 404, 403),
        ("office staff (draft)", member(Role.OFFICE_STAFF, application.call.office), 404, 403),
        ("approver", member(Role.DEPARTMENT_APPROVER, DepartmentFactory()), 404, 403),
    ]


def test_refused_for_others(draft):
    attachment = draft.attachments.first()
    before = snapshot()
    for label, user, read, change in _strangers(draft):
        api = client_for(user)
        assert api.get(list_url(draft)).status_code == read, label
        assert api.get(detail_url(attachment)).status_code == read, label
        assert upload(api, draft, pdf_upload()).status_code == change, label
        assert api.delete(detail_url(attachment)).status_code == change, label
    assert snapshot() == before


def test_the_office_reads_a_submitted_application_but_never_changes_it(draft):
    force_state(draft, ApplicationState.SUBMITTED)
    attachment = draft.attachments.first()
    staff = member(Role.OFFICE_STAFF, draft.call.office)
    other_office = member(Role.OFFICE_STAFF, DepartmentFactory().office)
    api = client_for(staff)
    assert api.get(list_url(draft)).status_code == 200
    assert api.get(detail_url(attachment)).status_code == 200
    before = snapshot()
    assert upload(api, draft, pdf_upload()).status_code == 403
    assert api.delete(detail_url(attachment)).status_code == 403
    assert snapshot() == before
    assert client_for(other_office).get(detail_url(attachment)).status_code == 404


def test_an_expert_granted_the_application_may_download_as_in_the_portal(draft):
    force_state(draft, ApplicationState.UNDER_REVIEW)
    sheet = AssignmentFactory(application=draft)
    attachment = draft.attachments.first()
    api = client_for(sheet.expert.user)
    assert api.get(detail_url(attachment)).status_code == 200
    portal = logged_in(sheet.expert.user)
    assert (
        portal.get(
            reverse("portal:attachment_download", args=[draft.pk, attachment.pk])
        ).status_code
        == 200
    )
    assert upload(api, draft, pdf_upload()).status_code == 403


def test_list_runs_a_constant_number_of_queries(draft):
    api = client_for(draft.applicant)
    Attachment.objects.filter(application=draft).delete()

    def add(n: int) -> None:
        for _n in range(n):
            Attachment.objects.create(
                application=draft,
                kind=AttachmentKind.OTHER,
                file=SimpleUploadedFile("a.pdf", b"%PDF-"),
                original_name="a.pdf",
                size=5,
                sha256="0" * 64,
            )

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(list_url(draft))
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    add(2)
    few, n = count()
    assert n == 2
    add(8)
    many, n = count()
    assert n == 10 and many == few
