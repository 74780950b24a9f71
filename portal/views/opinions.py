"""意见记录 (PDF): the written opinions on a call, as a document to print and file.

Staff and the director of the call's office, and supervisors, may download it. Staff of another
office get 404 (the call is not theirs to know of), anyone else logged in 403.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import access
from workflow.choices import Role
from workflow.models import Call
from workflow.selectors import OFFICE_ROLES
from workflow.selectors.opinions import Opinion, opinion_history

FONT = "STSong-Light"  # reportlab's built-in CID font for Simplified Chinese: nothing to vendor


def readable_call(request: HttpRequest, pk: int) -> Call:
    """The call, if the user may read its opinion record."""
    call = get_object_or_404(Call.objects.select_related("office"), pk=pk)
    user = request.user
    if access.has_role(user, Role.SUPERVISOR):
        return call
    offices = access.office_ids(user, OFFICE_ROLES)
    if call.office_id in offices:
        return call
    if offices:
        raise Http404
    raise PermissionDenied


def _time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _paragraph(text: str, style):
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def opinion_record_pdf_bytes(call: Call, opinions: Sequence[Opinion]) -> bytes:
    """A4 PDF of the call's opinion history, Chinese set in STSong-Light."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=16, leading=22, spaceAfter=4)
    meta = ParagraphStyle("meta", parent=body, textColor=colors.HexColor("#444444"))

    title = _("Opinion record")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{title} · {call.title}",
        author=call.office.name,
    )
    story = [
        _paragraph(f"{title}：{call.title}", heading),
        _paragraph(f"{_('Office')}：{call.office.name}", meta),
        _paragraph(f"{_('Generated at')}：{_time(timezone.now())}", meta),
        Spacer(1, 4 * mm),
    ]
    if opinions:
        header = [_("Time"), _("Unit"), _("By"), _("Decision"), _("Opinion")]
        rows = [[_paragraph(h, body) for h in header]]
        for opinion in opinions:
            by = opinion.actor or "—"
            if opinion.role:
                by = f"{by}（{opinion.role_label}）"
            rows.append(
                [
                    _paragraph(_time(opinion.at), body),
                    _paragraph(opinion.subject or "—", body),
                    _paragraph(by, body),
                    _paragraph(opinion.action_label, body),
                    _paragraph(opinion.text, body),
                ]
            )
        widths = [26 * mm, 32 * mm, 30 * mm, 24 * mm, None]
        usable = A4[0] - 30 * mm - sum(w for w in widths if w)
        widths[-1] = usable
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    else:
        story.append(_paragraph(_("No written opinion has been recorded."), body))
    document.build(story)
    return buffer.getvalue()


@login_required
def opinion_record_pdf(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = readable_call(request, call_pk)
    content = opinion_record_pdf_bytes(call, opinion_history(call))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="opinions-{call.pk}.pdf"'
    return response
