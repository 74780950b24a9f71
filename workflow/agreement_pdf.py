"""The task agreement (揭榜任务书) as a PDF with correct Chinese text, for signing and filing.

Same font and determinism as the certificate (workflow.certificates, ADR 0011): the text is
real Unicode in reportlab's built-in CID font STSong-Light, and the bytes depend only on the
agreement's content.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from workflow.certificates import _style, chinese_date
from workflow.choices import FundingSource


def _p(text: Any, style: Any) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def agreement_pdf(agreement: Any) -> bytes:
    application = agreement.application
    call = application.call
    body = _style("agreement-body", 11, TA_LEFT)
    heading = _style("agreement-heading", 13, TA_LEFT)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        invariant=1,
        title=f"揭榜任务书 {application.title}",
        author=call.office.name,
        creator="jiebang",
    )
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story: list[Any] = [
        _p("揭榜任务书", _style("agreement-title", 20, TA_CENTER)),
        Spacer(1, 6 * mm),
        _p(f"榜单：{call.title}", body),
        _p(f"发榜单位：{call.office.name}", body),
        _p(f"揭榜单位：{application.organisation.name}", body),
        _p(f"项目名称：{application.title}", body),
        _p(
            f"建设期：{agreement.term_years}年，自{chinese_date(agreement.starts_on)}起",
            body,
        ),
        Spacer(1, 4 * mm),
        _p("一、建设目标", heading),
        _p(agreement.targets, body),
        Spacer(1, 4 * mm),
        _p(f"二、总投资与资金来源（总投资{agreement.budget_total}万元）", heading),
    ]
    funding = [[_p("资金来源", body), _p("金额（万元）", body)]]
    for code, amount in (agreement.funding or {}).items():
        label = FundingSource(code).label if code in FundingSource.values else code
        funding.append([_p(label, body), _p(amount, body)])
    story += [Table(funding, colWidths=[100 * mm, 60 * mm], style=grid), Spacer(1, 4 * mm)]
    story.append(_p("三、建设任务与时间节点", heading))
    milestones = [[_p("建设任务", body), _p("完成时限", body)]]
    for milestone in agreement.milestones.order_by("due_on", "id"):
        milestones.append([_p(milestone.title, body), _p(chinese_date(milestone.due_on), body)])
    story += [Table(milestones, colWidths=[120 * mm, 40 * mm], style=grid), Spacer(1, 4 * mm)]
    story.append(_p("四、按规则测算的补助（元）", heading))
    lines = (agreement.subsidies or {}).get("lines", [])
    subsidies = [[_p("补助项目", body), _p("金额（元）", body)]]
    subsidies += [
        [_p(line.get("name", ""), body), _p(line.get("amount", ""), body)] for line in lines
    ]
    subsidies.append([_p("合计", body), _p((agreement.subsidies or {}).get("total", "0"), body)])
    story += [Table(subsidies, colWidths=[120 * mm, 40 * mm], style=grid), Spacer(1, 6 * mm)]
    story.append(
        _p(
            "五、揭榜单位按月调度、季通报、年总结的要求报送建设进展，建设完成后申请评审认定。",
            body,
        )
    )
    if agreement.confirmed_at:
        story.append(_p(f"揭榜单位确认日期：{chinese_date(agreement.confirmed_at.date())}", body))
    story += [
        Spacer(1, 12 * mm),
        _p("发榜单位（盖章）：　　　　　　　揭榜单位（盖章）：", body),
    ]
    doc.build(story)
    return out.getvalue()
