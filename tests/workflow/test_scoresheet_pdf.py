"""专家评分表 as a PDF (workflow/scoresheet_pdf.py): the content read from a submitted sheet, and
the PDF drawn from it with extractable Chinese text."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import judged_total, review_call, review_panel, submit_at
from workflow.models import Assignment, AuditEvent, Invitation
from workflow.scoresheet_pdf import (
    SheetContent,
    SheetRow,
    content_of,
    contents_of,
    scoresheet_pdf,
)
from workflow.selectors.scoring import call_rubric_tree

pytestmark = pytest.mark.django_db


def text_of(content: bytes) -> str:
    """The PDF's text without the spaces and line breaks the extraction adds."""
    pages = PdfReader(io.BytesIO(content)).pages
    return "".join(page.extract_text() for page in pages).replace(" ", "").replace("\n", "")


def pages_of(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def submitted():
    call, _staff, applications = review_call(applications=1)
    _draw, sheets = review_panel(call, applications, experts=2)
    declared = timezone.now().replace(microsecond=0)
    Invitation.objects.filter(draw__call=call).update(answered_at=declared)  # set-up only
    first, second = (s[0] for s in sheets.values())
    submit_at(first, "0.8", comment="实训条件较好")
    submit_at(second, "0.6", comment="创新不足")
    first = Assignment.objects.select_related(
        "expert", "invitation", "application__call__office", "application__organisation"
    ).get(pk=first.pk)
    return call, first, second, declared


def test_the_content_holds_the_marks_the_expert_and_what_was_fixed_at_submission(submitted):
    call, sheet, _second, declared = submitted
    content = content_of(sheet)
    tree = call_rubric_tree(call)
    assert content.expert == sheet.expert.name
    assert content.expert_employer == sheet.expert.employer_name
    assert content.expert_title == sheet.expert.title
    assert content.project == sheet.application.title
    assert content.organisation == sheet.application.organisation.name
    assert content.office == call.office.name
    assert content.declared_at == timezone.localtime(declared).strftime("%Y-%m-%d %H:%M")
    assert content.submitted_at == timezone.localtime(sheet.submitted_at).strftime("%Y-%m-%d %H:%M")
    assert content.total == content.stored_total == f"{judged_total(call, '0.8'):.2f}"
    event = AuditEvent.objects.get(action="assignment.submit", object_id=str(sheet.pk))
    assert content.digest == event.diff["digest"] and len(content.digest) == 64
    marked = {r.code: r for r in content.rows if r.value}
    assert set(marked) == {i.code for i in tree.judged}
    for indicator in tree.judged:
        row = marked[indicator.code]
        assert row.name == indicator.name and row.comment == "实训条件较好"
        assert Decimal(row.value) <= indicator.weight
    # Group rows come before their children; quantitative and veto leaves, which the office
    # verifies, are not on the expert's sheet.
    assert any(r.is_group for r in content.rows)
    assert {r.code for r in content.rows if not r.is_group} == {i.code for i in tree.judged}
    assert content.office_items == bool(tree.quantitative or tree.vetoes)


def test_the_content_of_several_sheets_costs_a_fixed_number_of_queries(
    submitted, django_assert_max_num_queries
):
    _call, first, second, _declared = submitted
    sheets = list(
        Assignment.objects.filter(pk__in=[first.pk, second.pk]).select_related(
            "expert", "invitation", "application__call__office", "application__organisation"
        )
    )
    with django_assert_max_num_queries(4):
        contents = contents_of(sheets)
    assert [c.expert for c in contents] == [s.expert.name for s in sheets]


def test_the_pdf_has_the_chinese_indicator_names_and_the_total(submitted):
    call, sheet, _second, _declared = submitted
    content = content_of(sheet)
    pdf = scoresheet_pdf([content])
    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    assert "专家评分表" in text
    for indicator in call_rubric_tree(call).judged:
        assert indicator.name.replace(" ", "") in text
    assert f"合计{content.total}" in text
    assert content.expert in text and content.digest in text
    assert "无利益冲突声明签署时间" in text and content.declared_at.replace(" ", "") in text
    assert ("由发榜单位核定" in text) == content.office_items


def test_one_page_per_sheet_and_the_same_content_gives_the_same_bytes(submitted):
    _call, first, second, _declared = submitted
    contents = contents_of([first, second])
    pdf = scoresheet_pdf(contents)
    assert pages_of(pdf) >= 2
    text = text_of(pdf)
    assert contents[0].expert in text and contents[1].expert in text
    assert scoresheet_pdf(contents) == pdf
    assert pages_of(scoresheet_pdf(contents[:1])) < pages_of(pdf)


def _content(**overrides) -> SheetContent:
    fields = {
        "office": "某某产教融合办公室",
        "call": "实训基地榜单",
        "project": "实训基地<建设>项目",
        "organisation": "某职业技术学院",
        "expert": "张三",
        "expert_employer": "某研究院",
        "expert_title": "正高级工程师",
        "declared_at": "2026-11-01 09:00",
        "submitted_at": "2026-11-02 10:00",
        "total": "12.50",
        "stored_total": "12.50",
        "digest": "",
        "rows": (
            SheetRow("1", "实训功能", "20.00", "", "", is_group=True),
            SheetRow("1.1", "实训设备与场地", "20.00", "12.50", "评语含<尖括号>&符号"),
        ),
    }
    fields.update(overrides)
    return SheetContent(**fields)


def test_markup_in_the_content_is_printed_as_text_not_read_as_markup():
    text = text_of(scoresheet_pdf([_content()]))
    assert "实训基地<建设>项目" in text
    assert "评语含<尖括号>&符号" in text


def test_a_long_sheet_flows_onto_more_pages():
    rows = tuple(SheetRow(f"1.{n}", f"指标{n}", "5.00", "4.00", "评语" * 40) for n in range(60))
    pdf = scoresheet_pdf([_content(rows=rows)])
    assert pages_of(pdf) > 1
    assert "指标59" in text_of(pdf)


def test_no_sheet_gives_a_page_that_says_so():
    assert "没有已提交的评分表" in text_of(scoresheet_pdf([]))
