"""专家评分表: submitted score sheets as a PDF, one page (or more) per sheet.

For the file of a review (评审档案): the rubric's rows with the expert's marks and comments, the
total, who the expert is, when they signed the no-conflict declaration and when they submitted,
and what the system fixed at the submission: the stored total and the SHA-256 of the signed
marks (the `digest` of the sheet's `assignment.submit` audit event), so the paper can be checked
against the audit trail.

Like the certificate and the agreement (workflow.certificates, ADR 0011) the sheet is an official
document written in Chinese whatever the reader's language, so its fixed words are Chinese here
and not in the translation catalogue; the text is real Unicode in reportlab's built-in CID font
STSong-Light, and the bytes depend only on the content (`invariant`).

`contents_of(sheets)` reads what the PDF needs (a fixed number of queries for any number of
sheets of one call); `scoresheet_pdf(contents)` is pure: data in, bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from workflow.certificates import _style
from workflow.choices import IndicatorKind
from workflow.rules.scoring import sheet_total

TITLE = "专家评分表"


@dataclass(frozen=True)
class SheetRow:
    code: str
    name: str
    maximum: str
    value: str  # "" when not marked, or a group row
    comment: str
    is_group: bool = False


@dataclass(frozen=True)
class SheetContent:
    office: str
    call: str
    project: str
    organisation: str
    expert: str
    expert_employer: str
    expert_title: str
    declared_at: str  # when the no-conflict declaration was signed, "" if unknown
    submitted_at: str
    total: str  # the sum of the marks printed
    stored_total: str  # the total fixed on the sheet at submission, "" if none
    digest: str  # SHA-256 of the signed marks (audit trail), "" if none
    explanation: str = ""
    rows: tuple[SheetRow, ...] = field(default_factory=tuple)
    # Whether the rubric has leaves the office verifies (quantitative, veto), left off the sheet.
    office_items: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _moment(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _points(value: Any) -> str:
    return f"{Decimal(value):.2f}" if value is not None else ""


def contents_of(sheets: Iterable[Any]) -> list[SheetContent]:
    """The printable content of each sheet (Assignments with expert, invitation and
    application → call → office, organisation selected): two queries for the marks and the
    submission events, plus two per distinct call for its rubric."""
    from workflow.models import Assignment, AuditEvent, Score
    from workflow.selectors.scoring import call_rubric_tree

    sheets = list(sheets)
    ids = [s.pk for s in sheets]
    marks: dict[int, dict[int, tuple[Decimal, str]]] = {pk: {} for pk in ids}
    for assignment_id, indicator_id, value, comment in Score.objects.filter(
        assignment_id__in=ids
    ).values_list("assignment_id", "indicator_id", "value", "comment"):
        marks[assignment_id][indicator_id] = (value, comment)
    digests: dict[int, str] = {}
    for object_id, diff in (
        AuditEvent.objects.filter(
            action="assignment.submit",
            object_type=Assignment._meta.label_lower,
            object_id__in=[str(pk) for pk in ids],
        )
        .order_by("sequence")
        .values_list("object_id", "diff")
    ):
        digests[int(object_id)] = (diff or {}).get("digest", "")  # the latest submission wins
    trees: dict[int, Any] = {}
    contents = []
    for sheet in sheets:
        application = sheet.application
        call = application.call
        if call.pk not in trees:
            trees[call.pk] = call_rubric_tree(call)
        tree = trees[call.pk]
        own = marks[sheet.pk]
        rows: list[SheetRow] = []
        office_items = False
        for indicator in tree.indicators if tree else []:
            mark = own.get(indicator.pk)
            leaf = tree.is_leaf(indicator)
            if leaf and indicator.kind != IndicatorKind.JUDGED and mark is None:
                office_items = True  # verified by the office, not scored by the expert
                continue
            rows.append(
                SheetRow(
                    code=indicator.code,
                    name=indicator.name,
                    maximum=_points(indicator.weight),
                    value=_points(mark[0]) if mark else "",
                    comment=mark[1] if mark else "",
                    is_group=not leaf,
                )
            )
        expert = sheet.expert
        employer = expert.employer.name if expert.employer_id else expert.employer_name
        contents.append(
            SheetContent(
                office=call.office.name,
                call=call.title,
                project=application.title,
                organisation=application.organisation.name,
                expert=expert.name,
                expert_employer=employer,
                expert_title=expert.title,
                declared_at=_moment(sheet.invitation.answered_at),
                submitted_at=_moment(sheet.submitted_at),
                total=_points(sheet_total(v for v, _c in own.values())),
                stored_total=_points(sheet.total),
                digest=digests.get(sheet.pk, ""),
                explanation=sheet.explanation,
                rows=tuple(rows),
                office_items=office_items,
            )
        )
    return contents


def content_of(sheet: Any) -> SheetContent:
    """The printable content of one sheet."""
    return contents_of([sheet])[0]


def _p(text: Any, style: Any) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _sheet_story(content: SheetContent) -> list[Any]:
    body = _style("sheet-body", 10, TA_LEFT)
    small = _style("sheet-small", 8, TA_LEFT)
    number = _style("sheet-number", 10, TA_RIGHT)
    bold = _style("sheet-group", 10, TA_LEFT)
    story: list[Any] = [
        _p(TITLE, _style("sheet-title", 18, TA_CENTER)),
        Spacer(1, 4 * mm),
        _p(f"榜单：{content.call}", body),
        _p(f"发榜单位：{content.office}", body),
        _p(f"项目名称：{content.project}", body),
        _p(f"申报单位：{content.organisation}", body),
        _p(
            f"评审专家：{content.expert}（{content.expert_employer}，{content.expert_title}）",
            body,
        ),
        _p(f"无利益冲突声明签署时间：{content.declared_at or '—'}", body),
        _p(f"评分表提交时间：{content.submitted_at or '—'}", body),
        Spacer(1, 4 * mm),
    ]
    table = [[_p(h, bold) for h in ("编号", "评分指标", "分值", "评分", "评语")]]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
    ]
    for n, row in enumerate(content.rows, start=1):
        table.append(
            [
                _p(row.code, body),
                _p(row.name, bold if row.is_group else body),
                _p(row.maximum, number),
                _p(row.value, number),
                _p(row.comment, small),
            ]
        )
        if row.is_group:
            style.append(("BACKGROUND", (0, n), (-1, n), "#f5f5f5"))
    table.append([_p("", body), _p("合计", bold), _p("", body), _p(content.total, number), ""])
    story.append(
        Table(
            table,
            colWidths=[16 * mm, 62 * mm, 18 * mm, 18 * mm, 56 * mm],
            style=TableStyle(style),
            repeatRows=1,
        )
    )
    if content.office_items:
        story.append(_p("注：定量指标和一票否决项由发榜单位核定，不在专家评分表内评分。", small))
    story.append(Spacer(1, 4 * mm))
    if content.explanation:
        story.append(_p(f"书面说明：{content.explanation}", body))
    story.append(_p(f"系统记录的总分：{content.stored_total or '—'}", body))
    story.append(_p(f"提交时评分数据摘要（SHA-256）：{content.digest or '—'}", small))
    story += [Spacer(1, 10 * mm), _p("评审专家（签字）：　　　　　　　　日期：", body)]
    return story


def scoresheet_pdf(contents: Sequence[SheetContent]) -> bytes:
    """The sheets in order, each starting on a new page; the same content gives the same
    bytes."""
    out = io.BytesIO()
    first = contents[0] if contents else None
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        invariant=1,
        title=f"{TITLE} {first.project}" if first and len(contents) == 1 else TITLE,
        author=first.office if first else "",
        creator="jiebang",
    )
    story: list[Any] = []
    for n, content in enumerate(contents):
        if n:
            story.append(PageBreak())
        story += _sheet_story(content)
    if not story:
        story.append(_p("没有已提交的评分表。", _style("sheet-body", 10, TA_LEFT)))
    doc.build(story)
    return out.getvalue()


__all__ = ["SheetContent", "SheetRow", "content_of", "contents_of", "scoresheet_pdf"]
