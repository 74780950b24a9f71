"""Bad uploads get a clear message and store nothing: no row, no audit event, no file."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import pdf_bytes, pdf_upload
from tests.portal.helpers import audit_count, text
from workflow.choices import AttachmentKind
from workflow.models import Attachment

pytestmark = pytest.mark.django_db


def stored_files(application) -> set[Path]:
    folder = Path(settings.MEDIA_ROOT, "attachments", str(application.pk))
    return set(folder.iterdir()) if folder.exists() else set()


def post_upload(client, application, file, kind=AttachmentKind.OTHER):
    return client.post(
        reverse("portal:attachment_add", args=[application.pk]),
        {"attachment-kind": kind, "attachment-file": file},
    )


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (
            lambda: SimpleUploadedFile("申报书.pdf", "这不是PDF文件".encode(), "application/pdf"),
            "The file is not a PDF document.",
        ),
        (lambda: SimpleUploadedFile("空文件.pdf", b"", "application/pdf"), "empty"),
        (
            lambda: SimpleUploadedFile("截断.pdf", pdf_bytes()[:200], "application/pdf"),
            "The PDF file is damaged or incomplete",
        ),
    ],
    ids=["text-named-pdf", "empty", "truncated-pdf"],
)
def test_bad_upload_is_refused_with_a_message(applicant_client, draft, make_file, message):
    rows, events, files = Attachment.objects.count(), audit_count(), stored_files(draft)

    response = post_upload(applicant_client, draft, make_file())

    assert response.status_code == 200
    assert message in text(response)
    assert response.context["attachment_form"].errors["file"]
    assert Attachment.objects.count() == rows
    assert audit_count() == events
    assert stored_files(draft) == files


def test_oversized_upload_is_refused(applicant_client, draft, settings):
    settings.ATTACHMENT_MAX_BYTES = 200
    rows, events, files = Attachment.objects.count(), audit_count(), stored_files(draft)

    response = post_upload(applicant_client, draft, pdf_upload())

    assert response.status_code == 200
    assert "The file is larger than the limit of 200" in text(response)
    assert Attachment.objects.count() == rows
    assert audit_count() == events
    assert stored_files(draft) == files


def test_good_upload_is_stored_under_a_generated_name(applicant_client, draft):
    files = stored_files(draft)
    response = post_upload(applicant_client, draft, pdf_upload("../../etc/passwd.pdf"))
    assert response.status_code == 302
    attachment = draft.attachments.get(kind=AttachmentKind.OTHER)
    assert "passwd" not in attachment.file.name
    assert len(stored_files(draft) - files) == 1


def test_upload_form_links_errors_to_the_field(applicant_client, draft):
    response = post_upload(applicant_client, draft, SimpleUploadedFile("x.pdf", b"not a pdf"))
    body = text(response)
    assert 'id="id_attachment-file_error"' in body
    assert 'aria-describedby="id_attachment-file_helptext id_attachment-file_error"' in body
    assert 'aria-invalid="true"' in body


def test_bad_upload_from_the_attachments_step_shows_the_step_again(applicant_client, draft):
    rows, events, files = Attachment.objects.count(), audit_count(), stored_files(draft)

    response = applicant_client.post(
        reverse("portal:attachment_add", args=[draft.pk]),
        {
            "attachment-kind": AttachmentKind.OTHER,
            "attachment-file": SimpleUploadedFile("假的.pdf", b"not a pdf"),
            "from": "attachments",
        },
    )

    assert response.status_code == 200
    assert response.context["step"] == "attachments"
    assert "The file is not a PDF document." in text(response)
    assert 'id="id_attachment-file_error"' in text(response)
    assert Attachment.objects.count() == rows
    assert audit_count() == events
    assert stored_files(draft) == files


def test_upload_to_a_submitted_application_from_the_step_goes_to_the_detail(
    applicant_client, submitted
):
    rows = Attachment.objects.count()
    response = applicant_client.post(
        reverse("portal:attachment_add", args=[submitted.pk]),
        {
            "attachment-kind": AttachmentKind.OTHER,
            "attachment-file": pdf_upload(),
            "from": "attachments",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:application_detail", args=[submitted.pk])
    assert Attachment.objects.count() == rows
