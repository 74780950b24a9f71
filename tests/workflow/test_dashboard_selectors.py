"""The review dashboard's snapshot: sheets submitted per application and per expert, the
dispersion flags of the ranking, in a fixed number of queries."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    InvitationFactory,
    force_state,
    review_call,
    review_panel,
    submit_at,
)
from workflow.choices import AssignmentState, InvitationState
from workflow.selectors import review_progress
from workflow.services.ranking import ranking_compute
from workflow.services.scoring import score_sheet_explain

pytestmark = pytest.mark.django_db


def by_id(progress):
    return {a.application_id: a for a in progress.applications}


def test_counts_per_application_and_per_expert():
    call, _staff, applications = review_call(applications=2)
    draw, sheets = review_panel(call, applications, experts=3)
    first, second, third = sheets
    submit_at(sheets[first][0], "0.8")
    submit_at(sheets[first][1], "0.8")
    submit_at(sheets[second][0], "0.8")
    force_state(sheets[third][1], AssignmentState.VOID)  # a replaced expert's sheet
    InvitationFactory(draw=draw, state=InvitationState.INVITED)  # an alternate, not answered

    progress = review_progress(call)

    rows = by_id(progress)
    assert [(rows[a.pk].submitted, rows[a.pk].sheets) for a in applications] == [(2, 3), (1, 2)]
    assert not rows[applications[0].pk].complete
    experts = {e.expert_id: (e.submitted, e.assigned, e.complete) for e in progress.experts}
    assert experts == {
        first.pk: (2, 2, True),
        second.pk: (1, 2, False),
        third.pk: (0, 1, False),
    }
    assert (progress.submitted, progress.sheets, progress.awaiting_answer) == (3, 5, 1)
    assert not progress.complete


def test_the_panel_is_complete_when_every_live_sheet_is_submitted():
    call, _staff, applications = review_call(applications=1)
    _draw, sheets = review_panel(call, applications, experts=2)
    for rows in sheets.values():
        submit_at(rows[0], "0.8")
    progress = review_progress(call)
    assert progress.complete and progress.applications[0].complete
    assert (progress.flagged, progress.unexplained) == (0, 0)


def test_dispersion_flags_follow_the_ranking_and_clear_with_an_explanation():
    call, _staff, applications = review_call(applications=1)
    _draw, sheets = review_panel(call, applications, experts=3)
    low, *others = [rows[0] for rows in sheets.values()]
    submit_at(low, "0.5")  # 45 points against 81 and 81: 24 from the mean, margin 15
    for sheet in others:
        submit_at(sheet, "0.9")

    row = review_progress(call).applications[0]
    ranked = ranking_compute(call=call).rows[0]
    assert row.flagged == sum(s.flagged for s in ranked.sheets) == 1
    assert row.unexplained == 1

    score_sheet_explain(assignment=low, by=low.expert.user, explanation="材料中实训设备清单不全")
    row = review_progress(call).applications[0]
    assert (row.flagged, row.unexplained) == (1, 0)


def test_without_a_rubric_there_is_no_flag():
    call, _staff, applications = review_call(applications=1, rubric=None)
    _draw, _sheets = review_panel(call, applications, experts=2)
    progress = review_progress(call)
    assert progress.flagged == 0 and progress.sheets == 2


def test_the_message_carries_counts_and_flags_but_no_score():
    call, _staff, applications = review_call(applications=1)
    _draw, sheets = review_panel(call, applications, experts=2)
    submit_at(next(iter(sheets.values()))[0], "0.73")
    message = review_progress(call).as_message()
    text = json.dumps(message, ensure_ascii=False)
    assert message["type"] == "snapshot" and message["call"] == call.pk
    assert message["applications"][0]["submitted"] == 1
    assert "65.7" not in text and "total" not in text  # 0.73 of 90 points


def test_the_snapshot_costs_the_same_whatever_the_number_of_applications():
    def measure(n):
        call, _staff, applications = review_call(applications=n)
        _draw, sheets = review_panel(call, applications, experts=2)
        for rows in sheets.values():
            submit_at(rows[0], "0.8")
        with CaptureQueriesContext(connection) as ctx:
            progress = review_progress(call)
        assert len(progress.applications) == n
        return len(ctx.captured_queries)

    assert measure(2) == measure(6) == 4
