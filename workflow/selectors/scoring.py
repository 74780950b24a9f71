"""Reads for scoring and ranking: the rubric as a tree, the expert's sheets, the office's views.

Each function costs a fixed number of queries whatever the number of rows. Blind review
(背靠背评审) is enforced here for reads: an expert's page gets the other experts' totals only
from `panel_totals`, which returns nothing until the panel's draw is closed, and then only
anonymised totals (专家1..n), never names or marks per indicator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Q, QuerySet, Value
from django.utils.translation import gettext as _

from workflow import access
from workflow.choices import (
    ApplicationState,
    AssignmentState,
    DrawState,
    IndicatorKind,
    Role,
)
from workflow.models import (
    Application,
    Assignment,
    AuditEvent,
    Call,
    Indicator,
    Rubric,
    Score,
    VerifiedValue,
)
from workflow.rules.scoring import JudgedItem, round_points

SCORE_PERMISSION = "workflow.score_assignment"
SCORING_OFFICE_ROLES = (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR)

# Applications that entered expert review, whatever became of them afterwards.
RANKED_STATES = (
    ApplicationState.UNDER_REVIEW,
    ApplicationState.REVIEWED,
    ApplicationState.SHORTLISTED,
    ApplicationState.NOT_SELECTED,
    ApplicationState.APPROVED,
    ApplicationState.NOT_APPROVED,
)
# Applications whose quantitative values the office verifies (before and during review).
VERIFIABLE_STATES = (ApplicationState.ACCEPTED, ApplicationState.UNDER_REVIEW)


# The rubric as a tree --------------------------------------------------------------------------


@dataclass
class RubricTree:
    """A rubric's indicators in reading order, with the lookups scoring needs."""

    rubric: Rubric
    indicators: list[Indicator]
    children: dict[int | None, list[Indicator]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        children: dict[int | None, list[Indicator]] = defaultdict(list)
        for indicator in self.indicators:
            children[indicator.parent_id].append(indicator)
        for rows in children.values():
            rows.sort(key=lambda i: (i.position, i.code))
        self.children = dict(children)
        ordered: list[Indicator] = []

        def walk(parent_id: int | None) -> None:
            for indicator in self.children.get(parent_id, []):
                ordered.append(indicator)
                walk(indicator.pk)

        walk(None)
        self.indicators = ordered
        self.by_id = {i.pk: i for i in ordered}
        self.by_code = {i.code: i for i in ordered}
        self.root_of: dict[int, int] = {}
        for indicator in ordered:
            parent = indicator.parent_id
            self.root_of[indicator.pk] = self.root_of[parent] if parent else indicator.pk

    def is_leaf(self, indicator: Indicator) -> bool:
        return indicator.pk not in self.children

    @cached_property
    def leaves(self) -> list[Indicator]:
        return [i for i in self.indicators if self.is_leaf(i)]

    def leaves_of(self, kind: str) -> list[Indicator]:
        return [i for i in self.leaves if i.kind == kind]

    @cached_property
    def judged(self) -> list[Indicator]:
        return self.leaves_of(IndicatorKind.JUDGED)

    @cached_property
    def quantitative(self) -> list[Indicator]:
        return self.leaves_of(IndicatorKind.QUANTITATIVE)

    @cached_property
    def vetoes(self) -> list[Indicator]:
        return self.leaves_of(IndicatorKind.VETO)

    @cached_property
    def verifiable(self) -> list[Indicator]:
        """What the office verifies: quantitative values and veto facts."""
        return [i for i in self.leaves if i.kind != IndicatorKind.JUDGED]

    @cached_property
    def level1(self) -> list[Indicator]:
        """The level-1 indicators that carry points, in order (the ranking's tie-break)."""
        return [i for i in self.children.get(None, []) if i.weight > 0]

    def judged_items(self) -> list[JudgedItem]:
        return [JudgedItem(i.code, i.name, i.weight) for i in self.judged]


def rubric_tree(rubric: Rubric) -> RubricTree:
    return RubricTree(rubric, list(rubric.indicators.all()))


def call_rubric_tree(call: Call) -> RubricTree | None:
    """The call's rubric with its indicators (two queries), or None if it has none."""
    rubric = Rubric.objects.filter(call=call).first()
    return rubric_tree(rubric) if rubric else None


# The expert's side -----------------------------------------------------------------------------


def expert_assignments(user) -> QuerySet[Assignment]:
    """The sheets the user holds the object permission to score (django-guardian's direct
    foreign-key table), void ones left out: an expert who was replaced has no sheet any more."""
    if not user.is_authenticated or not user.is_active:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(
            expert__user=user,
            assignmentuserobjectpermission__user=user,
            assignmentuserobjectpermission__permission__codename="score_assignment",
        )
        .exclude(state=AssignmentState.VOID)
        .select_related(
            "application",
            "application__call",
            "application__organisation",
            "invitation__draw",
            "expert",
        )
        .annotate(n_scored=Count("scores", distinct=True))
        .order_by("application__call_id", "application_id", "id")
    )


def sheet_scores(assignment: Assignment) -> dict[int, Score]:
    """indicator id -> the sheet's mark."""
    return {s.indicator_id: s for s in Score.objects.filter(assignment=assignment)}


def panel_is_closed(assignment: Assignment) -> bool:
    return assignment.invitation.draw.state == DrawState.CLOSED


@dataclass(frozen=True)
class PanelTotal:
    label: str  # 专家1..n
    total: Decimal
    is_own: bool


def anonymised(
    totals: Iterable[tuple[int, Decimal]], own_id: int | None = None
) -> list[PanelTotal]:
    """专家1..n in the order of their totals, highest first (then by sheet), so the number says
    nothing about who the expert is."""
    ordered = sorted(totals, key=lambda t: (-t[1], t[0]))
    return [
        PanelTotal(_("Expert %(n)d") % {"n": n}, total, sheet_id == own_id)
        for n, (sheet_id, total) in enumerate(ordered, start=1)
    ]


def panel_totals(assignment: Assignment) -> list[PanelTotal] | None:
    """The panel's submitted totals on this application, anonymised; None while the panel is
    not closed (blind review)."""
    if not panel_is_closed(assignment):
        return None
    rows = Assignment.objects.filter(
        application_id=assignment.application_id, state=AssignmentState.SUBMITTED
    ).values_list("id", "total")
    return anonymised(((pk, round_points(t or Decimal(0))) for pk, t in rows), assignment.pk)


# The office's side -----------------------------------------------------------------------------


def review_calls(user) -> QuerySet[Call]:
    """Calls whose review the user's office runs (staff and director)."""
    return access.calls_managed_by(user).select_related("office")


def office_sheets(user) -> QuerySet[Assignment]:
    """Every sheet of the calls of the user's offices, with who holds it."""
    offices = access.office_ids(user, SCORING_OFFICE_ROLES)
    return Assignment.objects.filter(application__call__office_id__in=offices).select_related(
        "expert",
        "application",
        "application__call",
        "application__organisation",
        "invitation__draw",
    )


def verification_overview(call: Call, tree: RubricTree | None) -> QuerySet[Application]:
    """The call's applications in or before review, with how many values are verified."""
    ids = [i.pk for i in tree.verifiable] if tree else []
    applications = call.applications.filter(
        state__in=(*VERIFIABLE_STATES, *RANKED_STATES)
    ).select_related("organisation")
    if not ids:
        return applications.annotate(n_verified=Value(0)).order_by("id")
    return applications.annotate(
        n_verified=Count(
            "verified_values", filter=Q(verified_values__indicator_id__in=ids), distinct=True
        )
    ).order_by("id")


def verified_values(application: Application) -> dict[int, VerifiedValue]:
    """indicator id -> the office's verified value."""
    return {
        v.indicator_id: v
        for v in VerifiedValue.objects.filter(application=application).select_related("verified_by")
    }


@dataclass
class SheetRecord:
    """One score sheet as the archive export needs it."""

    assignment_id: int
    expert_id: int
    expert_name: str
    expert_employer: str
    expert_title: str
    title: str
    organisation: str
    state_label: str
    submitted_at: object
    explanation: str
    scores: dict[int, tuple[Decimal, str]] = field(default_factory=dict)
    digest: str = ""
    audit_sequence: int | None = None

    @property
    def total(self) -> Decimal:
        return round_points(sum((v for v, _c in self.scores.values()), Decimal(0)))


def call_score_sheets(call: Call) -> list[SheetRecord]:
    """Every live sheet of the call with its marks and the audit event of its (latest)
    submission: three queries. Ordered by expert, then application."""
    sheets = {
        a.pk: SheetRecord(
            assignment_id=a.pk,
            expert_id=a.expert_id,
            expert_name=a.expert.name,
            expert_employer=a.expert.employer.name if a.expert.employer else a.expert.employer_name,
            expert_title=a.expert.title,
            title=a.application.title,
            organisation=a.application.organisation.name,
            state_label=a.get_state_display(),
            submitted_at=a.submitted_at,
            explanation=a.explanation,
        )
        for a in Assignment.objects.filter(application__call=call)
        .exclude(state=AssignmentState.VOID)
        .select_related("expert", "expert__employer", "application__organisation")
        .order_by("expert_id", "application_id", "id")
    }
    for assignment_id, indicator_id, value, comment in Score.objects.filter(
        assignment_id__in=list(sheets)
    ).values_list("assignment_id", "indicator_id", "value", "comment"):
        sheets[assignment_id].scores[indicator_id] = (value, comment)
    submissions = AuditEvent.objects.filter(
        action="assignment.submit",
        object_type=Assignment._meta.label_lower,
        object_id__in=[str(pk) for pk in sheets],
    ).order_by("sequence")
    for object_id, sequence, diff in submissions.values_list("object_id", "sequence", "diff"):
        record = sheets[int(object_id)]
        record.digest, record.audit_sequence = diff.get("digest", ""), sequence
    return list(sheets.values())


__all__ = [
    "RANKED_STATES",
    "SCORE_PERMISSION",
    "VERIFIABLE_STATES",
    "PanelTotal",
    "RubricTree",
    "SheetRecord",
    "anonymised",
    "call_rubric_tree",
    "call_score_sheets",
    "expert_assignments",
    "office_sheets",
    "panel_is_closed",
    "panel_totals",
    "review_calls",
    "rubric_tree",
    "sheet_scores",
    "verification_overview",
    "verified_values",
]
