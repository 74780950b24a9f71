"""Reads for the office dashboard's charts: plain data, a fixed number of queries.

Three charts, each from plain values the SVG helpers (portal/charts.py) draw:

- the **score distribution** of one call: the final score of every application with at least
  one submitted sheet, and a histogram of them over the rubric's range;
- the **expert dispersion** of the same call: per application the lowest, highest and mean of
  the submitted sheets' totals, their standard deviation, and how many sheets the ranking's
  own dispersion rule flags;
- the **progress of landed projects** (揭榜落地): per project under construction, milestones
  done against milestones due, and reports submitted against reports due.

The first two come from one `ranking_compute` (read-only, a fixed number of queries), so the
scores and the dispersion flags are exactly those of the ranking page: nothing here recomputes
an aggregate or a flag. Only the office of the call reads them (the caller picks the call from
`chart_calls(user)`).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from workflow import access
from workflow.choices import ApplicationState, AssignmentState, Role
from workflow.errors import Invalid
from workflow.models import Application, Assignment, Call, Milestone, ProgressReport
from workflow.models.landing import ReportState
from workflow.rules.scoring import round_points

CHART_OFFICE_ROLES = (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR)
HISTOGRAM_BINS = 10
# Projects whose construction the office follows on the dashboard.
LANDED_STATES = (ApplicationState.CONSTRUCTING,)


# Which calls ---------------------------------------------------------------------------------


def chart_calls(user) -> QuerySet[Call]:
    """The calls of the user's offices that have at least one submitted score sheet, latest
    first (the call model's order: opening date, newest first)."""
    offices = access.office_ids(user, CHART_OFFICE_ROLES)
    submitted = Assignment.objects.filter(
        application__call=OuterRef("pk"), state=AssignmentState.SUBMITTED
    )
    return (
        Call.objects.filter(office_id__in=offices)
        .filter(Exists(submitted))
        .select_related("office")
        .order_by("-opens_at", "-id")
    )


# Score distribution and expert dispersion ----------------------------------------------------


@dataclass(frozen=True)
class Bin:
    low: Decimal
    high: Decimal
    count: int

    @property
    def label(self) -> str:
        return f"{self.low.normalize():f}–{self.high.normalize():f}"


def histogram(values: Sequence[Decimal], maximum: Decimal, bins: int = HISTOGRAM_BINS) -> list[Bin]:
    """`bins` equal ranges from 0 to `maximum` (the last one includes the maximum), with how
    many values fall in each. A value above the maximum counts in the last range, below 0 in
    the first, so every value is counted once."""
    if bins < 1:
        raise ValueError("at least one bin")
    maximum = Decimal(maximum)
    if maximum <= 0:
        maximum = max(values, default=Decimal(1)) or Decimal(1)
    width = maximum / bins
    counts = [0] * bins
    for value in values:
        index = int(Decimal(value) / width) if value > 0 else 0
        counts[min(max(index, 0), bins - 1)] += 1
    return [
        Bin(round_points(width * n), round_points(width * (n + 1)), counts[n]) for n in range(bins)
    ]


@dataclass(frozen=True)
class ApplicationScore:
    application_id: int
    title: str
    organisation: str
    rank: int
    total: Decimal
    sheets: int  # submitted sheets


@dataclass(frozen=True)
class Dispersion:
    application_id: int
    title: str
    sheets: int  # submitted sheets
    low: Decimal
    high: Decimal
    mean: Decimal
    stdev: Decimal  # population standard deviation of the panel's totals
    flagged: int  # sheets the ranking's dispersion rule flags (评分离散)

    @property
    def spread(self) -> Decimal:
        return self.high - self.low


@dataclass
class CallCharts:
    call: Call
    maximum: Decimal  # the rubric's full marks
    margin: Decimal  # the rubric's dispersion margin
    scores: list[ApplicationScore] = field(default_factory=list)
    bins: list[Bin] = field(default_factory=list)
    dispersion: list[Dispersion] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        return sum(d.flagged for d in self.dispersion)


def call_charts(call: Call) -> CallCharts | None:
    """The call's score distribution and expert dispersion, from the ranking (read-only);
    None when the call has no rubric."""
    from workflow.services.ranking import ranking_compute  # read-only, no state changes

    try:
        ranking = ranking_compute(call=call)
    except Invalid:
        return None
    maximum = sum((i.weight for i in ranking.tree.level1), Decimal(0))
    charts = CallCharts(call=call, maximum=maximum, margin=ranking.rubric.dispersion_margin)
    for row in ranking.rows:
        submitted = row.submitted_sheets
        if not submitted:
            continue  # no score yet: the application is not on the charts
        charts.scores.append(
            ApplicationScore(
                row.application_id,
                row.title,
                row.organisation,
                row.rank,
                round_points(row.total),
                len(submitted),
            )
        )
        totals = [s.total for s in submitted if s.total is not None]
        charts.dispersion.append(
            Dispersion(
                application_id=row.application_id,
                title=row.title,
                sheets=len(totals),
                low=min(totals),
                high=max(totals),
                mean=round_points(sum(totals, Decimal(0)) / len(totals)),
                stdev=round_points(Decimal(statistics.pstdev(totals))),
                flagged=sum(1 for s in submitted if s.flagged),
            )
        )
    charts.bins = histogram([s.total for s in charts.scores], maximum)
    return charts


# Landed projects -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectProgress:
    application_id: int
    title: str
    organisation: str
    call_title: str
    milestones: int
    milestones_due: int  # due on or before today
    milestones_done: int
    milestones_late: int  # due and not done (one done early does not offset a late one)
    reports: int
    reports_due: int  # due by now
    reports_submitted: int
    reports_late: int  # due and not submitted


def landing_progress(user, *, now: dt.datetime | None = None) -> list[ProjectProgress]:
    """Every project under construction of the user's offices, with its milestones and reports
    counted: three queries whatever the number of projects."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    offices = access.office_ids(user, CHART_OFFICE_ROLES)
    projects = list(
        Application.objects.filter(
            call__office_id__in=offices, state__in=LANDED_STATES, agreement__isnull=False
        )
        .order_by("call__title", "organisation__name", "id")
        .values_list("id", "title", "organisation__name", "call__title", "agreement__id")
    )
    agreements = [row[4] for row in projects]
    milestones = {
        row["agreement_id"]: row
        for row in Milestone.objects.filter(agreement_id__in=agreements)
        .values("agreement_id")
        .annotate(
            n=Count("id"),
            due=Count("id", filter=Q(due_on__lte=today)),
            done=Count("id", filter=Q(done_on__isnull=False)),
            late=Count("id", filter=Q(due_on__lte=today, done_on__isnull=True)),
        )
        .order_by()
    }
    reports = {
        row["agreement_id"]: row
        for row in ProgressReport.objects.filter(agreement_id__in=agreements)
        .values("agreement_id")
        .annotate(
            n=Count("id"),
            due=Count("id", filter=Q(due_at__lte=now)),
            submitted=Count("id", filter=Q(state=ReportState.SUBMITTED)),
            late=Count("id", filter=Q(due_at__lte=now, state=ReportState.DUE)),
        )
        .order_by()
    }
    empty_m = {"n": 0, "due": 0, "done": 0, "late": 0}
    empty_r = {"n": 0, "due": 0, "submitted": 0, "late": 0}
    result = []
    for pk, title, organisation, call_title, agreement_id in projects:
        m = milestones.get(agreement_id, empty_m)
        r = reports.get(agreement_id, empty_r)
        result.append(
            ProjectProgress(
                application_id=pk,
                title=title,
                organisation=organisation,
                call_title=call_title,
                milestones=m["n"],
                milestones_due=m["due"],
                milestones_done=m["done"],
                milestones_late=m["late"],
                reports=r["n"],
                reports_due=r["due"],
                reports_submitted=r["submitted"],
                reports_late=r["late"],
            )
        )
    return result


__all__ = [
    "ApplicationScore",
    "Bin",
    "CallCharts",
    "Dispersion",
    "ProjectProgress",
    "call_charts",
    "chart_calls",
    "histogram",
    "landing_progress",
]
