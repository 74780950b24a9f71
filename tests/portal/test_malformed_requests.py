"""Requests no browser sends (issue 7): oversized bodies and fields, too many fields, broken
multipart, files that only pretend to be PDFs. A clear message in the user's language, a 4xx
rather than a 500, and nothing changed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfWriter

from tests.factories import pdf_bytes
from tests.portal.helpers import audit_count, text
from workflow.choices import AttachmentKind
from workflow.models import Application, Attachment

pytestmark = pytest.mark.django_db


def snapshot(application: Application) -> tuple:
    application.refresh_from_db()
    folder = Path(settings.MEDIA_ROOT, "attachments", str(application.pk))
    files = sorted(folder.iterdir()) if folder.exists() else []
    return (application.title, application.state, audit_count(), Attachment.objects.count(), files)


def upload(client: Client, application: Application, file) -> object:
    return client.post(
        reverse("portal:attachment_add", args=[application.pk]),
        {"attachment-kind": AttachmentKind.OTHER, "attachment-file": file},
    )


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(PNG, id="png-named-pdf"),
        pytest.param(b"%PDF-1.7\n" + b"garbage " * 100, id="pdf-header-only"),
        pytest.param(pdf_bytes()[:-40], id="cut-before-the-trailer"),
        pytest.param(encrypted_pdf(), id="encrypted"),
        pytest.param(b"\x00", id="one-byte"),
    ],
)
def test_files_that_only_pretend_to_be_pdfs_are_refused(applicant_client, draft, content):
    before = snapshot(draft)
    response = upload(
        applicant_client, draft, SimpleUploadedFile("申报书.pdf", content, "application/pdf")
    )
    assert response.status_code == 200
    assert response.context["attachment_form"].errors["file"]
    assert snapshot(draft) == before


def test_a_body_over_the_memory_limit_is_a_400_in_chinese(client, applicant, draft):
    client.force_login(applicant)
    before = snapshot(draft)
    body = "title=" + "长" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 10)
    response = client.post(
        reverse("portal:application_edit", args=[draft.pk]),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "无法读取您的请求" in response.content.decode()
    assert snapshot(draft) == before


def test_too_many_fields_is_a_400(applicant_client, draft):
    before = snapshot(draft)
    fields = "&".join(f"f{n}=x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5))
    response = applicant_client.post(
        reverse("portal:application_edit", args=[draft.pk]),
        fields,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert snapshot(draft) == before


def test_a_broken_multipart_body_changes_nothing(applicant_client, draft):
    before = snapshot(draft)
    response = applicant_client.post(
        reverse("portal:attachment_add", args=[draft.pk]),
        b'--xyz\r\nContent-Disposition: form-data; name="attachment-file"; filename="a.pdf"\r\n',
        content_type="multipart/form-data; boundary=xyz",
    )
    assert response.status_code in (200, 400)
    assert snapshot(draft) == before


def test_a_huge_single_field_gets_a_field_error(applicant_client, draft):
    before = snapshot(draft)
    response = applicant_client.post(
        reverse("portal:application_edit", args=[draft.pk]), {"title": "长" * 100_000}
    )
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert "at most" in text(response)
    assert snapshot(draft) == before
