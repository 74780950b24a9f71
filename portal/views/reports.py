"""Reports for the office: the dashboard with charts, and score sheets as PDF (评分表).

The dashboard (office staff and directors) draws, for the user's offices only, the score
distribution and the expert dispersion of one call (chosen in a select; by default the latest
call with submitted sheets) and the progress of the projects under construction. The charts
are inline SVG drawn on the server (portal/charts.py) with the same numbers in tables.

A score sheet's PDF is for the office of its call (staff, director) and for the expert who
submitted it; anyone else gets 404, so nobody learns which sheets exist (as on the sheet pages).
Only submitted sheets are printed: a draft is not a record. The PDFs of every sheet of an
application, or of a call, are for the office only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from portal import charts as svg
from workflow import selectors
from workflow.choices import AssignmentState
from workflow.models import Application, Assignment
from workflow.scoresheet_pdf import contents_of, scoresheet_pdf
from workflow.selectors.charts import (
    CallCharts,
    ProjectProgress,
    call_charts,
    chart_calls,
    landing_progress,
)

from .common import office_required

# The dashboard -----------------------------------------------------------------------------


def _call_svgs(charts: CallCharts) -> dict[str, Any]:
    title = charts.call.title
    scores = [svg.Bar(b.label, b.count) for b in charts.bins]
    ranges = [svg.Range(d.title, d.low, d.high, d.mean, d.flagged > 0) for d in charts.dispersion]
    return {
        "score_svg": svg.bar_chart(
            scores if charts.scores else [],
            chart_id="chart-scores",
            title=_("Score distribution: %(call)s") % {"call": title},
            desc=_(
                "Number of applications per range of final scores, from 0 to %(max)s points; "
                "%(n)d applications with scores."
            )
            % {"max": svg.number(charts.maximum), "n": len(charts.scores)},
        ),
        "dispersion_svg": svg.range_chart(
            ranges,
            maximum=charts.maximum,
            chart_id="chart-dispersion",
            title=_("Expert dispersion: %(call)s") % {"call": title},
            desc=_(
                "For each application, the lowest to the highest total of its submitted score "
                "sheets, with a dot at their mean. Rows marked with an exclamation mark and a "
                "dashed line have a sheet far from the panel mean."
            ),
        ),
    }


def _label(project: ProjectProgress) -> str:
    # The organisation first: several projects of a call often share a title.
    return f"{project.organisation} · {project.title}"


def _landing_svgs(projects: list[ProjectProgress]) -> dict[str, Any]:
    milestones = [
        svg.Progress(
            _label(p), p.milestones_done, p.milestones_due, p.milestones, p.milestones_late
        )
        for p in projects
    ]
    reports = [
        svg.Progress(_label(p), p.reports_submitted, p.reports_due, p.reports, p.reports_late)
        for p in projects
    ]
    hint = _(
        "For each project: the filled part is done, the hatched part is due and not done, the "
        "tick marks how much is due by now; rows marked with an exclamation mark are late."
    )
    return {
        "milestones_svg": svg.progress_chart(
            milestones,
            chart_id="chart-milestones",
            title=_("Milestones done against milestones due"),
            desc=hint,
        ),
        "reports_svg": svg.progress_chart(
            reports,
            chart_id="chart-reports",
            title=_("Progress reports submitted against reports due"),
            desc=hint,
        ),
    }


@office_required
def office_dashboard(request: HttpRequest) -> HttpResponse:
    calls = list(chart_calls(request.user))
    chosen = calls[0] if calls else None
    raw = request.GET.get("call", "").strip()
    invalid = False
    if raw:
        chosen = next((c for c in calls if str(c.pk) == raw), None)
        if chosen is None:
            invalid = True
            messages.error(request, _("Choose one of your office's calls that has scores."))
    context: dict[str, Any] = {"calls": calls, "chosen": chosen, "invalid": invalid}
    charts = call_charts(chosen) if chosen else None
    context["charts"] = charts
    if charts is not None:
        context.update(_call_svgs(charts))
    projects = landing_progress(request.user)
    context["projects"] = projects
    context.update(_landing_svgs(projects))
    return render(request, "portal/reports/dashboard.html", context)


# Score sheets as PDF ------------------------------------------------------------------------


def _printable(sheets: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return (
        sheets.filter(state=AssignmentState.SUBMITTED)
        .select_related(
            "expert",
            "expert__employer",
            "invitation",
            "application__call__office",
            "application__organisation",
        )
        .order_by("application_id", "expert__name", "id")
    )


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _own_submitted_sheet(request: HttpRequest, pk: int) -> Assignment | None:
    """The expert's own submitted sheet, held with the scoring permission; None otherwise."""
    sheet = _printable(selectors.expert_assignments(request.user)).filter(pk=pk).first()
    if sheet is not None and request.user.has_perm(selectors.SCORE_PERMISSION, sheet):
        return sheet
    return None


@login_required
def sheet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """One submitted sheet: for the office of its call, or for its own expert."""
    sheet = _printable(selectors.office_sheets(request.user)).filter(pk=pk).first()
    if sheet is None:
        sheet = _own_submitted_sheet(request, pk)
    if sheet is None:
        raise Http404
    return _pdf(scoresheet_pdf(contents_of([sheet])), f"score-sheet-{sheet.pk}.pdf")


@office_required
def application_sheets_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Every submitted sheet of one application, a page (or more) each."""
    application = get_object_or_404(
        Application.objects.filter(call__in=selectors.review_calls(request.user)), pk=pk
    )
    sheets = list(_printable(Assignment.objects.filter(application=application)))
    if not sheets:
        messages.error(request, _("This application has no submitted score sheet yet."))
        return redirect("portal:office_ranking", call_pk=application.call_id)
    return _pdf(scoresheet_pdf(contents_of(sheets)), f"score-sheets-application-{pk}.pdf")


@office_required
def call_sheets_pdf(request: HttpRequest, call_pk: int) -> HttpResponse:
    """Every submitted sheet of a call, by application then expert."""
    call = get_object_or_404(selectors.review_calls(request.user), pk=call_pk)
    sheets = list(_printable(Assignment.objects.filter(application__call=call)))
    if not sheets:
        messages.error(request, _("This call has no submitted score sheet yet."))
        return redirect("portal:office_ranking", call_pk=call.pk)
    return _pdf(scoresheet_pdf(contents_of(sheets)), f"score-sheets-call-{call.pk}.pdf")
