"""Scoring and the panel tell who is concerned: the expert whose sheet is reopened, the office's
staff when the panel has submitted every sheet, and the call's live review dashboards
(`review.changed`) after every change of its progress. Messages are written in the decision's
transaction and leave after commit; a rolled-back or refused decision tells nobody."""

import logging

import pytest
from django.db import transaction

from notifications import groups
from notifications.kinds import Kind
from notifications.models import Notification
from notifications.recipients import office_staff_of
from tests.factories import (
    InvitationFactory,
    OfficeFactory,
    marks_at,
    member,
    review_call,
    review_panel,
    submit_at,
)
from tests.notifications.test_decisions import invited, panel, told
from workflow.choices import InvitationState, Role
from workflow.errors import Invalid
from workflow.services.review import invitation_accept, invitation_decline
from workflow.services.scoring import score_sheet_reopen, score_sheet_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoring():
    """Two applications, two experts, four open sheets; a director of the office and the staff
    of another office, neither of whom is told of a finished panel."""
    call, staff, applications = review_call(applications=2)
    draw, sheets = review_panel(call, applications, experts=2)
    director = member(Role.OFFICE_DIRECTOR, call.office)
    outsider = member(Role.OFFICE_STAFF, OfficeFactory())
    every = [sheet for rows in sheets.values() for sheet in rows]
    return call, staff, draw, every, (director, outsider)


@pytest.fixture
def sent(monkeypatch):
    """The group sends handed to the channel layer, review dashboards' only."""
    events = []

    def record(pairs):
        events.extend((g, e) for g, e in pairs if g.startswith("call."))
        return [True] * len(pairs)

    monkeypatch.setattr("notifications.adapters.websocket.send_events", record)
    return events


def changed(call):
    return (groups.call_review_group(call.pk), {"type": groups.REVIEW_CHANGED, "call": call.pk})


def test_the_last_sheet_tells_the_office_staff_once(scoring, django_capture_on_commit_callbacks):
    call, staff, _draw, sheets, (director, outsider) = scoring
    for sheet in sheets[:-1]:
        submit_at(sheet, "0.8")
    assert not told(Kind.OFFICE_PANEL_SCORED)
    with django_capture_on_commit_callbacks(execute=True):
        submit_at(sheets[-1], "0.8")
    office = told(Kind.OFFICE_PANEL_SCORED)
    assert set(office) == set(office_staff_of(call.office_id))
    assert staff.pk in office and director.pk not in office and outsider.pk not in office
    assert call.title in office[staff.pk]
    note = Notification.objects.filter(kind=Kind.OFFICE_PANEL_SCORED).first()
    assert note.url == f"/office/review/{call.pk}/draw/"
    assert note.delivered_at is not None


def test_an_invited_expert_who_has_not_answered_keeps_the_panel_open(scoring):
    _call, _staff, draw, sheets, _others = scoring
    InvitationFactory(draw=draw, state=InvitationState.INVITED)  # an alternate, not answered
    for sheet in sheets:
        submit_at(sheet, "0.8")
    assert not told(Kind.OFFICE_PANEL_SCORED)


def test_reopening_tells_the_expert_with_the_reason(scoring):
    _call, staff, _draw, sheets, _others = scoring
    sheet = sheets[0]
    submit_at(sheet, "0.8")
    score_sheet_reopen(assignment=sheet, by=staff, reason="5.1项评分偏高，请复核")
    expert = told(Kind.EXPERT_SHEET_REOPENED)
    assert set(expert) == {sheet.expert.user_id}
    assert "5.1项评分偏高，请复核" in expert[sheet.expert.user_id]
    note = Notification.objects.get(kind=Kind.EXPERT_SHEET_REOPENED)
    assert note.url == f"/expert/assignments/{sheet.pk}/"
    assert note.payload["reason"] == "5.1项评分偏高，请复核"


def test_a_panel_that_finishes_again_after_a_reopening_is_announced_again(scoring):
    call, staff, _draw, sheets, _others = scoring
    for sheet in sheets:
        submit_at(sheet, "0.8")
    score_sheet_reopen(assignment=sheets[0], by=staff, reason="请复核")
    submit_at(sheets[0], "0.75")
    n_staff = len(office_staff_of(call.office_id))
    assert Notification.objects.filter(kind=Kind.OFFICE_PANEL_SCORED).count() == 2 * n_staff


def test_a_rolled_back_decision_tells_nobody(scoring, sent, django_capture_on_commit_callbacks):
    _call, staff, _draw, sheets, _others = scoring
    for sheet in sheets[:-1]:
        submit_at(sheet, "0.8")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            submit_at(sheets[-1], "0.8")  # the last sheet: the panel would be finished
            raise RuntimeError("the request failed after the service")
        with pytest.raises(RuntimeError), transaction.atomic():
            score_sheet_reopen(assignment=sheets[0], by=staff, reason="请复核")
            raise RuntimeError("the request failed after the service")
    assert callbacks == [] and sent == []
    assert not told(Kind.OFFICE_PANEL_SCORED) and not told(Kind.EXPERT_SHEET_REOPENED)


def test_a_refused_submission_tells_nobody(scoring, sent, django_capture_on_commit_callbacks):
    call, _staff, _draw, sheets, _others = scoring
    for sheet in sheets[:-1]:
        submit_at(sheet, "0.8")
    last = sheets[-1]
    incomplete = dict(list(marks_at(call, "0.8", "依据").items())[:1])
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Invalid):
        score_sheet_submit(assignment=last, by=last.expert.user, marks=incomplete)
    assert callbacks == [] and sent == []
    assert not told(Kind.OFFICE_PANEL_SCORED)


def test_dashboards_are_told_after_commit(scoring, sent, django_capture_on_commit_callbacks):
    call, staff, _draw, sheets, _others = scoring
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit_at(sheets[0], "0.8")
    assert sent == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert sent == [changed(call)]
    with django_capture_on_commit_callbacks(execute=True):
        score_sheet_reopen(assignment=sheets[0], by=staff, reason="请复核")
    assert sent == [changed(call)] * 2


def test_a_failed_dashboard_send_is_logged_and_the_decision_stands(
    scoring, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    _call, _staff, _draw, sheets, _others = scoring

    def down(pairs):
        raise TimeoutError("the channel layer is down")

    monkeypatch.setattr("notifications.adapters.websocket.send_events", down)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        submit_at(sheets[0], "0.8")
    sheets[0].refresh_from_db()
    assert sheets[0].state == "submitted"
    assert "could not tell the review dashboards" in caplog.text


def test_answers_to_invitations_change_the_dashboard(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        draw, _staff, _experts = panel()
    call = draw.call
    assert sent == [changed(call)]  # the invitations now awaiting an answer
    accepting, declining = invited(draw)[:2]
    with django_capture_on_commit_callbacks(execute=True):
        invitation_accept(invitation=accepting, by=accepting.expert.user, declaration="无利害关系")
        invitation_decline(invitation=declining, by=declining.expert.user, reason="出差在外")
    assert sent == [changed(call)] * 3
