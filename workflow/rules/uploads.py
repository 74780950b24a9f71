"""Attachments are PDF files, judged by their content, never by their name or declared type."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedPdf:
    size: int
    sha256: str
    pages: int


class BadUpload(ValueError):
    pass


def check_pdf(stream: BinaryIO, *, max_bytes: int) -> CheckedPdf:
    """Read at most max_bytes + 1 bytes and prove the content is a readable PDF."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise BadUpload(_("The file is empty."))
    if len(data) > max_bytes:
        raise BadUpload(
            _("The file is larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(max_bytes)}
        )
    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise BadUpload(_("The file is not a PDF document. Please upload a PDF file."))
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise BadUpload(
                _("Encrypted PDF files cannot be reviewed; upload it without a password.")
            )
        pages = len(reader.pages)
    except BadUpload:
        raise
    except Exception as exc:  # any parser failure means the file is damaged or not a PDF
        log.info("rejected unreadable PDF upload: %s", exc)
        raise BadUpload(
            _("The PDF file is damaged or incomplete and cannot be opened. Please upload it again.")
        ) from exc
    if pages < 1:
        raise BadUpload(_("The PDF file has no pages."))
    return CheckedPdf(size=len(data), sha256=hashlib.sha256(data).hexdigest(), pages=pages)
