"""Excel exports of a call's review (openpyxl): the public ranking and the signed score sheets.

- **Public ranking** (评审结果公示用): ranks, applicants, projects and scores; each application's
  expert totals appear as 专家1..n, numbered by total (highest first) so that the number says
  nothing about who scored. No expert's name or identifier is in it.
- **Score sheets for the file** (评分表存档): one worksheet per expert, one block per application:
  every judged mark with its comment, the total, the written explanation, the submission time,
  the audit-trail event that recorded the submission and the SHA-256 digest of the sheet as
  submitted (the electronic signature: anyone can recompute it from the audit trail), and a
  line for the handwritten signature (专家签字) that the paper file carries.

Text that begins with "=" is written as text, never as a formula, so that nothing a user typed
can run in the office's spreadsheet.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.choices import Aggregation
from workflow.rules.scoring import TIE_BREAK_RULES
from workflow.selectors.scoring import anonymised
from workflow.services.ranking import Ranking

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INVALID_TITLE_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _cells(sheet: Any, values: Iterable[Any], bold: bool = False) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _save(workbook: Any) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _title(text: str, used: set[str]) -> str:
    base = text.translate(INVALID_TITLE_CHARS)[:28] or "sheet"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:25]}~{n}", n + 1
    used.add(title)
    return title


def ranking_public_workbook(ranking: Ranking) -> bytes:
    """The ranking for publication: experts anonymised as 专家1..n."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Ranking"))
    call = ranking.call
    width = max((len(r.submitted_sheets) for r in ranking.rows), default=0)
    sheet.append(_cells(sheet, [call.title], bold=True))
    sheet.append(
        _cells(
            sheet,
            [
                _("Rubric"),
                ranking.rubric.name,
                _("Aggregation"),
                str(Aggregation(ranking.rubric.aggregation).label),
                _("Quota"),
                call.quota,
                _("Generated at"),
                _local(timezone.now()),
            ],
        )
    )
    if not ranking.is_final:
        sheet.append(_cells(sheet, [_("Provisional: the ranking is not final yet.")], bold=True))
    sheet.append([])
    experts = [_("Expert %(n)d") % {"n": n} for n in range(1, width + 1)]
    sheet.append(
        _cells(
            sheet,
            [
                _("Rank"),
                _("Applicant"),
                _("Project"),
                *experts,
                _("Expert score"),
                _("Quantitative score"),
                _("Total"),
                _("Veto"),
                _("Proposed for the shortlist"),
                _("Tie-break"),
            ],
            bold=True,
        )
    )
    for row in ranking.rows:
        totals = anonymised((s.assignment_id, s.total) for s in row.submitted_sheets)
        scores = [t.total for t in totals] + [None] * (width - len(totals))
        sheet.append(
            _cells(
                sheet,
                [
                    row.rank,
                    row.organisation,
                    row.title,
                    *scores,
                    row.judged,
                    row.quantitative,
                    row.total,
                    "、".join(i.name for i in row.vetoes) or _("None"),
                    _("Yes") if row.proposed else _("No"),
                    ranking.tie_break_label(row),
                ],
            )
        )
    sheet.append([])
    sheet.append(_cells(sheet, [_("Ranking rules")], bold=True))
    for n, rule in enumerate(TIE_BREAK_RULES, start=1):
        sheet.append(_cells(sheet, [f"{n}. {rule}"]))
    return _save(workbook)


def score_sheets_workbook(ranking: Ranking, sheets: Sequence[Any]) -> bytes:
    """Every expert's sheets, signed: `sheets` comes from selectors.call_score_sheets."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(_("Summary"))
    summary.append(_cells(summary, [ranking.call.title], bold=True))
    summary.append(
        _cells(
            summary,
            [_("Rank"), _("Applicant"), _("Project"), _("Expert score"), _("Total")],
            bold=True,
        )
    )
    for row in ranking.rows:
        summary.append(
            _cells(summary, [row.rank, row.organisation, row.title, row.judged, row.total])
        )

    judged = ranking.tree.judged
    used: set[str] = set()
    by_expert: dict[int, list[Any]] = {}
    for sheet in sheets:
        by_expert.setdefault(sheet.expert_id, []).append(sheet)
    for n, expert_sheets in enumerate(by_expert.values(), start=1):
        expert = expert_sheets[0]
        ws = workbook.create_sheet(_title(f"{n}-{expert.expert_name}", used))
        ws.append(
            _cells(ws, [_("Score sheets of %(name)s") % {"name": expert.expert_name}], bold=True)
        )
        ws.append(
            _cells(
                ws,
                [
                    _("Employer"),
                    expert.expert_employer,
                    _("Professional title"),
                    expert.expert_title,
                ],
            )
        )
        for item in expert_sheets:
            ws.append([])
            ws.append(
                _cells(ws, [_("Project"), item.title, _("Applicant"), item.organisation], True)
            )
            ws.append(
                _cells(ws, [_("Code"), _("Indicator"), _("Maximum"), _("Score"), _("Comment")])
            )
            for indicator in judged:
                value, comment = item.scores.get(indicator.pk, (None, ""))
                ws.append(
                    _cells(ws, [indicator.code, indicator.name, indicator.weight, value, comment])
                )
            ws.append(_cells(ws, ["", _("Total"), "", item.total], bold=True))
            ws.append(_cells(ws, [_("Status"), item.state_label]))
            ws.append(_cells(ws, [_("Submitted at"), _local(item.submitted_at)]))
            if item.explanation:
                ws.append(_cells(ws, [_("Written explanation"), item.explanation]))
            ws.append(
                _cells(
                    ws,
                    [
                        _("Electronic signature (SHA-256 of the sheet as submitted)"),
                        item.digest,
                        _("Audit event"),
                        item.audit_sequence,
                    ],
                )
            )
            ws.append(_cells(ws, [_("Expert's signature:"), "", _("Date:"), ""]))
    return _save(workbook)


def application_register_workbook(call: Any, applications: Iterable[Any]) -> bytes:
    """申报登记表: every application to a call that is not a draft, with its state, applicant,
    mode, functions, funding lines and submission time; for the office's files."""
    from openpyxl import Workbook

    from workflow.choices import ApplicantType, ConstructionMode, Function, FundingSource

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Applications"))
    sheet.append(_cells(sheet, [call.title], bold=True))
    sheet.append(_cells(sheet, [_("Generated at"), _local(timezone.now())]))
    sheet.append([])
    sources = list(FundingSource)
    sheet.append(
        _cells(
            sheet,
            [
                _("No."),
                _("Applicant"),
                _("Unified social credit code"),
                _("Applicant type"),
                _("Project"),
                _("Construction mode"),
                _("Functions"),
                *[f"{source.label} ({_('10,000 yuan')})" for source in sources],
                _("Project lead"),
                _("Contact phone"),
                _("State"),
                _("Submitted at"),
            ],
            bold=True,
        )
    )
    for n, application in enumerate(applications, start=1):
        funding = {line.source: line.amount for line in application.funding.all()}
        organisation = application.organisation
        sheet.append(
            _cells(
                sheet,
                [
                    n,
                    organisation.name,
                    organisation.credit_code or "",
                    str(ApplicantType(organisation.applicant_type).label),
                    application.title,
                    str(ConstructionMode(application.construction_mode).label)
                    if application.construction_mode
                    else "",
                    "、".join(str(Function(f).label) for f in application.functions),
                    *[funding.get(source.value) for source in sources],
                    application.project_lead,
                    application.contact_phone,
                    application.get_state_display(),
                    _local(application.submitted_at),
                ],
            )
        )
    return _save(workbook)
