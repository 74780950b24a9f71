"""授牌证书: the plaque certificate as a PDF.

The certificate is an official document issued in Chinese whatever the reader's language, so
its few fixed words are Chinese here and not in the translation catalogue. It is drawn with
reportlab's built-in CID font STSong-Light (Adobe's Asian font pack, which every PDF reader
ships), so no font file is vendored and Chinese text stays extractable.

The PDF is a pure function of its content: reportlab's `invariant` mode fixes the creation
date and the document ID, so the same content always gives the same bytes and the SHA-256
recorded at the award identifies the certificate. The content itself is a snapshot taken at
the award and kept in the audit trail, so renaming an organisation later does not change a
certificate already issued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import asdict, dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

FONT = "STSong-Light"
PAGE = landscape(A4)
MARGIN = 25 * mm
RED = HexColor("#9b1c1c")

_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def chinese_date(day: dt.date) -> str:
    """2026年11月22日: the way dates are written on official documents."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class CertificateContent:
    plaque_title: str
    organisation: str
    project: str
    number: str
    awarded_on: str  # ISO date
    office: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CertificateContent:
        return cls(**{name: str(data[name]) for name in cls.__dataclass_fields__})


def content_of(award: Any) -> CertificateContent:
    """The snapshot of an award's certificate (award with application, organisation, office)."""
    application = award.application
    return CertificateContent(
        plaque_title=award.plaque_title,
        organisation=application.organisation.name,
        project=application.title,
        number=award.number,
        awarded_on=award.awarded_on.isoformat(),
        office=application.call.office.name,
    )


def _style(name: str, size: float, align: int = TA_CENTER, color: Any = None) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=_font(),
        fontSize=size,
        leading=size * 1.5,
        alignment=align,
        wordWrap="CJK",  # Chinese has no spaces: break between any two characters
        textColor=color or HexColor("#000000"),
    )


def _paragraph(
    c: canvas.Canvas, text: str, style: ParagraphStyle, top: float, width: float
) -> float:
    """Draw a wrapped paragraph whose top is at `top`; return the y below it."""
    paragraph = Paragraph(escape(text), style)
    _w, height = paragraph.wrapOn(c, width, PAGE[1])
    paragraph.drawOn(c, MARGIN, top - height)
    return top - height


def certificate_pdf(content: CertificateContent) -> bytes:
    """The certificate: deterministic bytes for the same content."""
    width, height = PAGE
    inner = width - 2 * MARGIN
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=PAGE, invariant=1, pageCompression=0)
    c.setTitle(f"{content.plaque_title} {content.number}")
    c.setAuthor(content.office)
    c.setSubject(content.organisation)
    c.setCreator("jiebang")

    c.setStrokeColor(RED)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setLineWidth(0.8)
    c.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    y = height - 38 * mm
    y = _paragraph(c, "证　书", _style("heading", 36, color=RED), y, inner) - 8 * mm
    y = _paragraph(c, content.organisation, _style("organisation", 20, TA_LEFT), y, inner)
    y -= 4 * mm
    body = f"你单位承建的“{content.project}”经评审认定，被授予"
    y = _paragraph(c, body, _style("body", 18, TA_LEFT), y, inner) - 6 * mm
    y = _paragraph(c, content.plaque_title, _style("title", 26, color=RED), y, inner) - 4 * mm
    _paragraph(c, "特发此证。", _style("closing", 18, TA_LEFT), y, inner)

    _paragraph(c, f"编号：{content.number}", _style("number", 14, TA_LEFT), 50 * mm, inner)
    y = _paragraph(c, content.office, _style("office", 16, TA_RIGHT), 62 * mm, inner)
    awarded_on = dt.date.fromisoformat(content.awarded_on)
    _paragraph(c, chinese_date(awarded_on), _style("date", 16, TA_RIGHT), y - 2 * mm, inner)

    c.showPage()
    c.save()
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
