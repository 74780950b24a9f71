import io

import pytest

from tests.factories import pdf_bytes
from workflow.rules.uploads import BadUpload, check_pdf

LIMIT = 1024 * 1024


def test_valid_pdf_is_accepted_with_its_digest():
    data = pdf_bytes(pages=2)
    checked = check_pdf(io.BytesIO(data), max_bytes=LIMIT)
    assert (checked.size, checked.pages) == (len(data), 2)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is text pretending to be a PDF",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"%PDF-1.7\n garbage without structure",
    ],
    ids=["empty", "text", "png", "header-only"],
)
def test_non_pdf_content_is_refused(data):
    with pytest.raises(BadUpload):
        check_pdf(io.BytesIO(data), max_bytes=LIMIT)


def test_truncated_pdf_is_refused():
    data = pdf_bytes(pages=3)
    with pytest.raises(BadUpload):
        check_pdf(io.BytesIO(data[: len(data) // 2]), max_bytes=LIMIT)


def test_oversized_file_is_refused_without_reading_it_all():
    stream = io.BytesIO(pdf_bytes() + b"\n%" + b"x" * LIMIT)
    with pytest.raises(BadUpload):
        check_pdf(stream, max_bytes=LIMIT)
    assert stream.tell() == LIMIT + 1


def test_encrypted_pdf_is_refused():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(BadUpload):
        check_pdf(io.BytesIO(out.getvalue()), max_bytes=LIMIT)
