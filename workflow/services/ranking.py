"""排名与入围: the ranking of a call's applications and the office's confirmation of the
shortlist.

The ranking is computed on demand (`ranking_compute`, a fixed number of queries); the office
confirms the proposal (`shortlist_confirm`), which moves every application on through the
application services in one transaction.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, Sum, Value, When
from django.utils.translation import gettext as _

from workflow import access
from workflow.choices import ApplicationState, AssignmentState, CallState
from workflow.errors import Conflict, Invalid
from workflow.models import (
    Application,
    Assignment,
    Call,
    Indicator,
    Rubric,
    Score,
    VerifiedValue,
)
from workflow.rules import scoring as rules
from workflow.selectors.scoring import (
    RANKED_STATES,
    RubricTree,
)
from workflow.services.applications import (
    application_finish_review,
    application_not_select,
    application_shortlist,
)
from workflow.services.base import clean_reason, lock
from workflow.services.base import record_edit as _record_edit
from workflow.services.scoring import _tree


@dataclass(slots=True)
class SheetResult:
    assignment_id: int
    expert_id: int
    expert_name: str
    state: str
    total: Decimal | None  # submitted sheets only
    explanation: str
    flagged: bool = False


@dataclass
class RankingRow:
    application_id: int
    title: str
    organisation: str
    application_state: str
    submitted_at: Any
    judged: Decimal | None
    quantitative: Decimal
    total: Decimal
    quantitative_scores: dict[int, Decimal]
    sheets: list[SheetResult]
    vetoes: list[Indicator]
    rank: int = 0
    decided_by: str | None = None
    level1_index: int | None = None
    proposed: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)

    @property
    def submitted_sheets(self) -> list[SheetResult]:
        return [s for s in self.sheets if s.total is not None]


@dataclass
class Ranking:
    call: Call
    rubric: Rubric
    tree: RubricTree
    rows: list[RankingRow]
    problems: list[str]
    proposal: list[int]

    @property
    def is_final(self) -> bool:
        return bool(self.rows) and not self.problems

    @property
    def quota(self) -> int:
        return self.call.quota

    def tie_break_label(self, row: RankingRow) -> str:
        """Why the row stands below the previous one, when a tie-break decided it."""
        if row.decided_by in (None, rules.TieBreak.TOTAL):
            return ""
        label = str(rules.TIE_BREAK_LABELS[row.decided_by])
        if row.decided_by == rules.TieBreak.LEVEL1 and row.level1_index is not None:
            level1 = self.tree.level1[row.level1_index]
            label = f"{label} (“{level1.code} {level1.name}”)"
        return label


def _sheet_rows(call: Call) -> dict[int, list[SheetResult]]:
    """application id -> its live sheets, each with its total when submitted (1 query: the
    total is fixed on the sheet when it is submitted)."""
    sheets: dict[int, list[SheetResult]] = defaultdict(list)
    rows = (
        Assignment.objects.filter(application__call=call)
        .exclude(state=AssignmentState.VOID)
        .order_by("application_id", "id")
        .values_list(
            "id",
            "application_id",
            "expert_id",
            "expert__name",
            "state",
            "explanation",
            "total",
        )
    )
    for pk, application_id, expert_id, name, state, explanation, total in rows:
        total = total if state == AssignmentState.SUBMITTED else None
        sheets[application_id].append(SheetResult(pk, expert_id, name, state, total, explanation))
    return sheets


def _level1_breakdown(
    tree: RubricTree, application_ids: list[int]
) -> dict[int, dict[int, Decimal]]:
    """submitted sheet id -> level-1 indicator id -> subtotal, for the given applications; the
    database sums per (sheet, level-1 indicator), so the rows are a few per sheet."""
    roots: dict[int, list[int]] = defaultdict(list)
    for indicator in tree.judged:
        roots[tree.root_of[indicator.pk]].append(indicator.pk)
    found: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if not application_ids or not roots:
        return found
    root = Case(
        *[When(indicator_id__in=ids, then=Value(pk)) for pk, ids in roots.items()],
        output_field=IntegerField(),
    )
    rows = (
        Score.objects.filter(
            assignment__application_id__in=application_ids,
            assignment__state=AssignmentState.SUBMITTED,
        )
        .annotate(root=root)
        .values("assignment_id", "root")
        .annotate(subtotal=Sum("value"))
        .values_list("assignment_id", "root", "subtotal")
    )
    for assignment_id, root_id, subtotal in rows:
        found[assignment_id][root_id] = subtotal
    return found


def ranking_compute(*, call: Call) -> Ranking:
    """Aggregate every sheet and verified value of the call and rank the applications.

    Fixed query count (rubric, indicators, applications, sheet totals, sheets, verified
    values, and one more only when applications tie on total and expert score), whatever the
    number of applications, experts and indicators. Read-only: nothing is recorded.
    """
    tree = _tree(call)
    rubric = tree.rubric
    applications = (
        call.applications.filter(state__in=RANKED_STATES)
        .order_by("id")
        .values_list("id", "title", "organisation__name", "state", "submitted_at")
    )
    sheets = _sheet_rows(call)
    values: dict[int, dict[int, Decimal]] = defaultdict(dict)  # indicator -> application -> v
    for application_id, indicator_id, verified in VerifiedValue.objects.filter(
        application__call=call, application__state__in=RANKED_STATES
    ).values_list("application_id", "indicator_id", "verified"):
        values[indicator_id][application_id] = verified

    quantitative = {
        i.pk: rules.proportional_scores(values[i.pk], i.weight, lower_is_better=i.lower_is_better)
        for i in tree.quantitative
    }
    has_judged = bool(tree.judged)
    verifiable_ids = [i.pk for i in tree.verifiable]
    margin = rubric.dispersion_margin
    rows: list[RankingRow] = []
    problems: list[str] = []
    for application_id, title, organisation, state, submitted_at in applications:
        own = sheets.get(application_id, [])
        submitted = {s.assignment_id: s.total for s in own if s.total is not None}
        for flagged in rules.dispersion_flags(submitted, margin):
            next(s for s in own if s.assignment_id == flagged).flagged = True
        judged = rules.aggregate(list(submitted.values()), rubric.aggregation)
        q_scores = {pk: quantitative[pk].get(application_id, rules.ZERO) for pk in quantitative}
        q_total = sum(q_scores.values(), rules.ZERO)
        vetoes = [i for i in tree.vetoes if values[i.pk].get(application_id) == 1]
        row = RankingRow(
            application_id=application_id,
            title=title,
            organisation=organisation,
            application_state=state,
            submitted_at=submitted_at,
            judged=judged if has_judged else None,
            quantitative=q_total,
            total=(judged or rules.ZERO) + q_total,
            quantitative_scores=q_scores,
            sheets=own,
            vetoes=vetoes,
        )
        row.problems = _row_problems(row, has_judged, values, verifiable_ids)
        problems += [f"“{title}”: {p}" for p in row.problems]
        rows.append(row)

    ranked = _rank(rows, tree, rubric.aggregation)
    proposal = set(rules.propose_shortlist(ranked, call.quota))
    by_id = {row.application_id: row for row in rows}
    ordered = []
    for r in ranked:
        row = by_id[r.entry.key]
        row.rank, row.decided_by, row.level1_index = r.rank, r.decided_by, r.level1_index
        row.proposed = row.application_id in proposal
        ordered.append(row)
    return Ranking(
        call, rubric, tree, ordered, problems, [r.application_id for r in ordered if r.proposed]
    )


def _row_problems(
    row: RankingRow,
    has_judged: bool,
    values: Mapping[int, Mapping[int, Decimal]],
    verifiable_ids: list[int],
) -> list[str]:
    problems: list[str] = []
    if has_judged and not row.sheets:
        problems.append(_("no score sheets."))
    waiting = sum(1 for s in row.sheets if s.total is None)
    if waiting:
        problems.append(
            _("%(n)d of %(total)d score sheets are not submitted.")
            % {"n": waiting, "total": len(row.sheets)}
        )
    missing = sum(1 for pk in verifiable_ids if row.application_id not in values.get(pk, {}))
    if missing:
        problems.append(_("%(n)d quantitative or veto values are not verified.") % {"n": missing})
    for sheet in row.sheets:
        if sheet.flagged and not sheet.explanation.strip():
            problems.append(
                _(
                    "%(expert)s's total differs from the panel mean by more than the margin; "
                    "their written explanation is missing."
                )
                % {"expert": sheet.expert_name}
            )
    return problems


def _rank(
    rows: list[RankingRow],
    tree: RubricTree,
    method: str,
) -> list[rules.Ranked]:
    entries = [
        rules.RankEntry(
            key=row.application_id,
            total=row.total,
            judged=row.judged or rules.ZERO,
            submitted_at=row.submitted_at,
            vetoed=row.vetoed,
        )
        for row in rows
    ]
    # One query for the level-1 subtotals, and only for applications that tie.
    counts = Counter((e.vetoed, e.total, e.judged) for e in entries)
    tied = sorted(e.key for e in entries if counts[(e.vetoed, e.total, e.judged)] > 1)
    breakdown = _level1_breakdown(tree, tied) if tied else {}
    by_id = {row.application_id: row for row in rows}

    def level1(key: int) -> list[Decimal]:
        row = by_id[key]
        quant: dict[int, Decimal] = defaultdict(Decimal)
        for pk, score in row.quantitative_scores.items():
            quant[tree.root_of[pk]] += score
        vector = []
        for indicator in tree.level1:
            subtotals = [
                breakdown.get(s.assignment_id, {}).get(indicator.pk, rules.ZERO)
                for s in row.submitted_sheets
            ]
            expert = rules.aggregate(subtotals, method) or rules.ZERO
            vector.append(expert + quant[indicator.pk])
        return vector

    return rules.rank(entries, level1)


def shortlist_confirm(*, call: Call, by: Any, reason: str = "") -> Ranking:
    """The office confirms the proposed shortlist (拟入选名单): every ranked application finishes
    review, then the proposed ones are shortlisted and the others not selected, each with its
    rank as the reason. Refused while the ranking is not final (sheets missing, values not
    verified, dispersion explanations missing)."""
    reason = clean_reason(reason, required=False)
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        if call.state != CallState.UNDER_REVIEW:
            raise Conflict(
                _("The call is “%(state)s”; the ranking is confirmed during expert review.")
                % {"state": call.get_state_display()}
            )
        ranking = ranking_compute(call=call)
        if not ranking.rows:
            raise Invalid(_("There are no applications to rank."))
        if ranking.problems:
            raise Invalid(_("The ranking is not final yet."), ranking.problems)
        if any(r.application_state != ApplicationState.UNDER_REVIEW for r in ranking.rows):
            raise Conflict(_("The ranking of this call has already been confirmed."))
        applications = Application.objects.in_bulk([r.application_id for r in ranking.rows])
        n = len(ranking.rows)
        for row in ranking.rows:
            application = application_finish_review(
                application=applications[row.application_id], by=by
            )
            if row.proposed:
                application_shortlist(
                    application=application,
                    by=by,
                    reason=_("Ranked %(rank)d of %(n)d, within the quota of %(quota)d.")
                    % {"rank": row.rank, "n": n, "quota": call.quota},
                )
            elif row.vetoed:
                application_not_select(
                    application=application,
                    by=by,
                    reason=_("Disqualified by a veto item: %(items)s.")
                    % {"items": "、".join(i.name for i in row.vetoes)},
                )
            else:
                application_not_select(
                    application=application,
                    by=by,
                    reason=_("Ranked %(rank)d of %(n)d, outside the quota of %(quota)d.")
                    % {"rank": row.rank, "n": n, "quota": call.quota},
                )
        _record_edit(
            call,
            "ranking.confirm",
            by=by,
            role=role,
            diff={
                "quota": call.quota,
                "aggregation": ranking.rubric.aggregation,
                "reason": reason,
                "ranking": [
                    {
                        "rank": r.rank,
                        "application": r.application_id,
                        "judged": None if r.judged is None else str(r.judged),
                        "quantitative": str(r.quantitative),
                        "total": str(r.total),
                        "vetoed": r.vetoed,
                        "shortlisted": r.proposed,
                    }
                    for r in ranking.rows
                ],
            },
        )
    return ranking_compute(call=call)
