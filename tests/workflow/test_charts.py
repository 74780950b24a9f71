"""The dashboard's chart selectors (workflow/selectors/charts.py): plain data from the ranking
and from the landing records, scoped to the user's offices, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    OfficeFactory,
    judged_total,
    member,
    published_call,
    review_call,
    review_panel,
    submit_at,
)
from tests.factories_landing import confirmed_agreement, landing_parties
from workflow.choices import Role
from workflow.models import ProgressReport, Rubric
from workflow.models.landing import ReportState
from workflow.selectors.charts import (
    Bin,
    call_charts,
    chart_calls,
    histogram,
    landing_progress,
)
from workflow.services.ranking import ranking_compute

pytestmark = pytest.mark.django_db


# The histogram: plain arithmetic ---------------------------------------------------------------


def test_histogram_counts_every_value_once_in_equal_ranges():
    bins = histogram([Decimal(v) for v in ("0", "9.99", "10", "55", "99.5", "100")], Decimal(100))
    assert len(bins) == 10
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert bins[0] == Bin(Decimal("0.00"), Decimal("10.00"), 2)
    assert bins[-1].label == "90–100"


def test_histogram_puts_values_outside_the_range_in_the_end_ranges():
    bins = histogram([Decimal(-1), Decimal(120)], Decimal(100), bins=4)
    assert [b.count for b in bins] == [1, 0, 0, 1]


def test_histogram_of_nothing_has_empty_ranges():
    assert [b.count for b in histogram([], Decimal(50), bins=5)] == [0] * 5
    with pytest.raises(ValueError):
        histogram([], Decimal(50), bins=0)


# Score distribution and dispersion -------------------------------------------------------------


@pytest.fixture
def scored():
    """A call with three applications and three experts: application 1 has sheets at 90 %,
    90 % and 30 % (one far from the mean), application 2 at 80 % each, application 3 none."""
    call, staff, applications = review_call(applications=3)
    # The margin between the two deviations (0.2 and 0.4 of full marks): set-up only.
    Rubric.objects.filter(call=call).update(dispersion_margin=judged_total(call, "0.3"))
    _draw, sheets = review_panel(call, applications, experts=3)
    experts = list(sheets)
    for expert, share in zip(experts, ("0.9", "0.9", "0.3"), strict=True):
        submit_at(sheets[expert][0], share)
    for expert in experts:
        submit_at(sheets[expert][1], "0.8")
    return call, staff, applications


def test_the_charts_follow_the_ranking(scored):
    call, _staff, applications = scored
    charts = call_charts(call)
    ranking = ranking_compute(call=call)
    assert charts is not None
    # Only applications with scores; their final scores and ranks are the ranking's.
    by_id = {r.application_id: r for r in ranking.rows}
    assert [s.application_id for s in charts.scores] == [
        r.application_id for r in ranking.rows if r.submitted_sheets
    ]
    assert applications[2].pk not in {s.application_id for s in charts.scores}
    for score in charts.scores:
        assert score.total == by_id[score.application_id].total
        assert score.rank == by_id[score.application_id].rank
        assert score.sheets == 3
    assert charts.maximum == sum(i.weight for i in ranking.tree.level1)
    assert sum(b.count for b in charts.bins) == 2


def test_the_dispersion_reuses_the_rankings_flags(scored):
    call, _staff, applications = scored
    charts = call_charts(call)
    ranking = ranking_compute(call=call)
    flags = {r.application_id: sum(1 for s in r.sheets if s.flagged) for r in ranking.rows}
    dispersion = {d.application_id: d for d in charts.dispersion}
    wild, calm = dispersion[applications[0].pk], dispersion[applications[1].pk]
    assert wild.flagged == flags[applications[0].pk] == 1
    assert calm.flagged == 0 and calm.stdev == 0 and calm.low == calm.high
    assert wild.low == judged_total(call, "0.3") and wild.high == judged_total(call, "0.9")
    assert wild.spread == wild.high - wild.low
    assert wild.mean == ((2 * judged_total(call, "0.9") + judged_total(call, "0.3")) / 3).quantize(
        Decimal("0.01")
    )
    assert wild.stdev > 0
    assert charts.flagged == 1


def test_a_call_without_a_rubric_has_no_charts():
    call, _staff, _applications = review_call(applications=1, rubric=None)
    assert call_charts(call) is None


def test_only_calls_of_the_users_offices_with_submitted_sheets_are_offered(scored):
    call, staff, _applications = scored
    unscored, _s, _a = review_call(applications=1, office=call.office)
    elsewhere, other_staff, other_apps = review_call(applications=1)
    _d, other_sheets = review_panel(elsewhere, other_apps, experts=1)
    submit_at(next(iter(other_sheets.values()))[0], "0.7")
    director = member(Role.OFFICE_DIRECTOR, call.office)
    assert list(chart_calls(staff)) == [call]
    assert list(chart_calls(director)) == [call]
    assert list(chart_calls(other_staff)) == [elsewhere]
    assert unscored not in chart_calls(staff)
    for role in (Role.APPLICANT, Role.SUPERVISOR):
        assert not chart_calls(member(role, OfficeFactory())).exists()


def _charts_queries(n: int) -> int:
    call, _staff, applications = review_call(applications=n)
    _draw, sheets = review_panel(call, applications, experts=2)
    for expert, share in zip(sheets, ("0.9", "0.5"), strict=True):
        for sheet in sheets[expert]:
            submit_at(sheet, share)
    with CaptureQueriesContext(connection) as queries:
        charts = call_charts(call)
    assert len(charts.scores) == n
    return len(queries)


def test_the_call_charts_cost_the_same_for_2_and_10_applications():
    assert _charts_queries(2) == _charts_queries(10)


# Landed projects -------------------------------------------------------------------------------

NOW = timezone.make_aware(dt.datetime(2026, 12, 1, 12, 0))


def _project(**kwargs):
    application, staff, applicant = landing_parties(**kwargs)
    agreement = confirmed_agreement(application, staff, applicant)
    return application, staff, applicant, agreement


def test_the_progress_counts_milestones_and_reports_due_done_and_late():
    application, staff, _applicant, agreement = _project()
    (row,) = landing_progress(staff, now=NOW)
    reports = ProgressReport.objects.filter(agreement=agreement)
    assert row.application_id == application.pk
    assert row.title == application.title and row.organisation == application.organisation.name
    assert (row.milestones, row.milestones_due, row.milestones_done, row.milestones_late) == (
        2,
        1,  # 2026-06-30 is due by 2026-12-01; 2027-06-30 is not
        0,
        1,
    )
    assert row.reports == reports.count() > 0
    assert row.reports_due == reports.filter(due_at__lte=NOW).count() > 0
    assert row.reports_submitted == 0
    assert row.reports_late == row.reports_due


def test_done_milestones_and_submitted_reports_are_counted():
    from workflow.services.landing import milestone_done, report_submit

    _application, staff, applicant, agreement = _project()
    first = agreement.milestones.order_by("due_on").first()
    milestone_done(milestone=first, by=applicant, done_on=dt.date(2026, 6, 1))
    report = ProgressReport.objects.filter(agreement=agreement).order_by("due_at").first()
    report_submit(report=report, by=applicant, content="本月完成车间装修。")
    (row,) = landing_progress(staff, now=NOW)
    assert (row.milestones_done, row.milestones_late) == (1, 0)
    assert row.reports_submitted == 1
    assert row.reports_late == row.reports_due - 1
    assert (
        ProgressReport.objects.filter(agreement=agreement, state=ReportState.SUBMITTED).count() == 1
    )


def test_projects_of_another_office_and_not_under_construction_are_left_out():
    application, staff, _applicant, _agreement = _project()
    other, other_staff, _other_applicant, _a = _project()
    approved_only, _s, _ap = landing_parties(call=application.call)
    director = member(Role.OFFICE_DIRECTOR, application.call.office)
    assert [p.application_id for p in landing_progress(staff, now=NOW)] == [application.pk]
    assert [p.application_id for p in landing_progress(director, now=NOW)] == [application.pk]
    assert [p.application_id for p in landing_progress(other_staff, now=NOW)] == [other.pk]
    assert approved_only.pk not in [p.application_id for p in landing_progress(staff, now=NOW)]
    assert landing_progress(member(Role.APPLICANT, application.organisation), now=NOW) == []


def _landing_queries(n: int) -> int:
    office = OfficeFactory()
    staff = member(Role.OFFICE_STAFF, office)
    call = published_call(office=office)
    for _n in range(n):
        _project(call=call)
    with CaptureQueriesContext(connection) as queries:
        rows = landing_progress(staff, now=NOW)
    assert len(rows) == n
    return len(queries)


def test_the_landing_progress_costs_the_same_for_1_and_4_projects():
    assert _landing_queries(1) == _landing_queries(4)
