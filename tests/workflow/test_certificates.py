"""The plaque certificate: Chinese text that survives extraction, and the same bytes every time."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from tests.factories_award import direct_award_project
from workflow import certificates
from workflow.certificates import CertificateContent, certificate_pdf, chinese_date
from workflow.services import award as svc

CONTENT = CertificateContent(
    plaque_title="省级产教融合重大平台载体和实训基地",
    organisation="山西机电职业技术学院",
    project="新能源汽车智能制造实训基地建设项目",
    number="产教融合省级〔2026〕001号",
    awarded_on="2026-11-22",
    office="山西省产教融合联席会议办公室",
)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    # Wrapped lines may break a long name; compare without line breaks.
    return "".join(reader.pages[0].extract_text().split())


def test_chinese_date():
    assert chinese_date(dt.date(2026, 11, 22)) == "2026年11月22日"
    assert chinese_date(dt.date(2027, 1, 5)) == "2027年1月5日"


def test_the_certificate_carries_every_fact_in_chinese():
    pdf = certificate_pdf(CONTENT)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in (
        CONTENT.plaque_title,
        CONTENT.organisation,
        CONTENT.project,
        CONTENT.number,
        "2026年11月22日",
        CONTENT.office,
        "证书",
    ):
        assert expected in text, expected


def test_the_font_is_the_builtin_cid_font_not_embedded():
    reader = PdfReader(io.BytesIO(certificate_pdf(CONTENT)))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert any("STSong-Light" in name for name in names)


def test_same_content_same_bytes_and_a_change_shows():
    assert certificate_pdf(CONTENT) == certificate_pdf(CONTENT)
    other = CertificateContent(**{**CONTENT.as_dict(), "number": "产教融合省级〔2026〕002号"})
    assert certificates.sha256(certificate_pdf(other)) != certificates.sha256(
        certificate_pdf(CONTENT)
    )


def test_long_names_wrap_and_markup_is_text():
    long = CertificateContent(
        **{
            **CONTENT.as_dict(),
            "project": "面向新能源汽车与智能网联汽车产业集群的" * 4 + "<b>实训&基地</b>",
        }
    )
    text = text_of(certificate_pdf(long))
    assert "<b>实训&基地</b>" in text


@pytest.mark.django_db
def test_an_awards_certificate_is_its_recorded_hash():
    project = direct_award_project()
    award = svc.award_grant(application=project.application, by=project.staff)
    pdf = certificate_pdf(svc.certificate_content(award))
    assert certificates.sha256(pdf) == award.certificate_sha256
    text = text_of(pdf)
    assert award.number in text
    assert project.application.organisation.name in text
    assert chinese_date(award.awarded_on) in text
