"""The expert's score sheet through the API: read the rubric rows and own marks, save marks (PUT
replaces, PATCH changes the rows listed), submit. The portal's ScoreSheetForm checks the marks,
so the errors are the portal's; the scoring services save, submit, lock and audit."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import remove_perm
from rest_framework.test import APIClient

from tests.factories import (
    AssignmentFactory,
    DepartmentFactory,
    OfficeFactory,
    ReviewExpertFactory,
    force_state,
    marks_at,
    member,
    review_call,
    review_panel,
    submit_at,
)
from tests.portal.helpers import logged_in
from workflow.choices import ApplicationState, AssignmentState, DrawState, Role
from workflow.models import AuditEvent, Score
from workflow.selectors.scoring import call_rubric_tree

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def review():
    call, staff, applications = review_call(applications=2)
    draw, sheets = review_panel(call, applications, experts=3)
    experts = list(sheets)
    return call, staff, applications, draw, sheets, experts


@pytest.fixture
def mine(review):
    """The first expert's first sheet, the call and its rubric tree."""
    call, _staff, _apps, _draw, sheets, experts = review
    return sheets[experts[0]][0], call, call_rubric_tree(call)


def sheet_url(sheet) -> str:
    return reverse("api:score_sheet", args=[sheet.pk])


def submit_url(sheet) -> str:
    return reverse("api:score_sheet_submit", args=[sheet.pk])


def marks_payload(call, share="0.8", comment="") -> list[dict]:
    """Every judged indicator at `share` of its points."""
    tree = call_rubric_tree(call)
    marks = marks_at(call, share, comment)
    return [
        {"indicator": i.pk, "score": str(marks[i.code].value), "comment": comment}
        for i in tree.judged
    ]


def stored(sheet) -> dict:
    return dict(Score.objects.filter(assignment=sheet).values_list("indicator_id", "value"))


def state_of(sheet) -> tuple:
    sheet.refresh_from_db()
    return sheet.state, stored(sheet), AuditEvent.objects.count()


# Reading --------------------------------------------------------------------------------------


def test_get_shows_the_judged_rows_with_guidance(mine):
    sheet, _call, tree = mine
    response = client_for(sheet.expert.user).get(sheet_url(sheet))
    assert response.status_code == 200
    data = response.json()
    assert data["assignment"] == sheet.pk and data["application"] == sheet.application_id
    assert data["state"] == AssignmentState.OPEN and data["editable"] is True
    assert data["total"] == "0.00" and data["n_scored"] == 0
    assert [r["indicator"] for r in data["rows"]] == [i.pk for i in tree.judged]
    first, indicator = data["rows"][0], tree.judged[0]
    assert first["code"] == indicator.code
    assert first["max_score"] == f"{indicator.weight:.2f}"
    parent = tree.by_id[indicator.parent_id]
    assert first["names"][-2:] == [parent.name, indicator.name]
    assert len(first["names"]) == indicator.level
    assert first["guidance"] and set(first["guidance"][0]) == {"from", "to", "text"}
    assert "优（全面达到）" in first["guidance"][0]["text"]
    assert D(first["unusual_below"]) == indicator.weight * tree.rubric.abnormal_low_ratio
    assert D(first["unusual_above"]) == indicator.weight * tree.rubric.abnormal_high_ratio
    assert first["score"] is None and first["comment"] == ""
    # Quantitative and veto rows are not the expert's to mark.
    assert all(r["indicator"] not in {i.pk for i in tree.verifiable} for r in data["rows"])


def test_get_without_a_rubric_has_no_rows():
    call, _staff, applications = review_call(applications=1, rubric=None)
    _draw, sheets = review_panel(call, applications, experts=1)
    expert, [sheet] = next(iter(sheets.items()))
    api = client_for(expert.user)
    data = api.get(sheet_url(sheet)).json()
    assert data["rows"] == [] and data["rubric"] is None
    response = api.put(sheet_url(sheet), {"marks": []}, format="json")
    assert response.status_code == 400 and "no rubric" in response.json()["detail"]


# Saving ---------------------------------------------------------------------------------------


def test_put_saves_a_draft_and_audits_it(mine):
    sheet, call, tree = mine
    payload = marks_payload(call, "0.8")[:1]  # a half-done draft
    response = client_for(sheet.expert.user).put(
        sheet_url(sheet), {"marks": payload}, format="json"
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["total"] == "6.40" and data["n_scored"] == 1
    assert data["rows"][0]["score"] == "6.40"
    assert stored(sheet) == {tree.judged[0].pk: D("6.40")}
    event = AuditEvent.objects.get(action="score_sheet.save", object_id=str(sheet.pk))
    assert event.actor == sheet.expert.user and event.role == Role.EXPERT
    assert event.diff["total"] == "6.40"


def _save_event(sheet) -> tuple:
    event = AuditEvent.objects.get(action="score_sheet.save", object_id=str(sheet.pk))
    return (event.action, event.object_type, event.role, event.diff)


def test_saving_writes_the_same_audit_event_as_the_portal(review):
    call, _staff, _apps, _draw, sheets, experts = review
    through_api, through_portal = sheets[experts[0]][0], sheets[experts[1]][0]
    payload = marks_payload(call, "0.7", comment="依据申报材料")
    response = client_for(experts[0].user).put(
        sheet_url(through_api), {"marks": payload}, format="json"
    )
    assert response.status_code == 200
    form = {"action": "save"}
    for mark in payload:
        form[f"score_{mark['indicator']}"] = mark["score"]
        form[f"comment_{mark['indicator']}"] = mark["comment"]
    portal = logged_in(experts[1].user)
    assert (
        portal.post(reverse("portal:expert_sheet", args=[through_portal.pk]), form).status_code
        == 302
    )
    assert _save_event(through_api) == _save_event(through_portal)


def test_patch_changes_only_the_rows_listed_and_put_clears_the_rest(mine):
    sheet, call, tree = mine
    api = client_for(sheet.expert.user)
    assert (
        api.put(sheet_url(sheet), {"marks": marks_payload(call, "0.8")}, format="json").status_code
        == 200
    )
    first, second = tree.judged[0], tree.judged[1]
    response = api.patch(
        sheet_url(sheet),
        {"marks": [{"indicator": first.pk, "score": 7, "comment": "较好"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["total"] == "72.60"  # 72 - 6.4 + 7
    assert stored(sheet)[first.pk] == D("7.00") and len(stored(sheet)) == len(tree.judged)
    assert Score.objects.get(assignment=sheet, indicator=first).comment == "较好"
    # A comment alone keeps the score, a score alone keeps the comment.
    response = api.patch(
        sheet_url(sheet), {"marks": [{"indicator": first.pk, "comment": "很好"}]}, format="json"
    )
    assert response.status_code == 200
    saved = Score.objects.get(assignment=sheet, indicator=first)
    assert (saved.value, saved.comment) == (D("7.00"), "很好")
    response = api.patch(
        sheet_url(sheet), {"marks": [{"indicator": first.pk, "score": "7.5"}]}, format="json"
    )
    saved.refresh_from_db()
    assert (saved.value, saved.comment) == (D("7.50"), "很好")
    # A null score clears one mark.
    response = api.patch(
        sheet_url(sheet), {"marks": [{"indicator": second.pk, "score": None}]}, format="json"
    )
    assert response.status_code == 200
    assert second.pk not in stored(sheet)
    # PUT is the whole sheet: what is left out is cleared.
    response = api.put(
        sheet_url(sheet), {"marks": [{"indicator": first.pk, "score": "6.5"}]}, format="json"
    )
    assert response.status_code == 200
    assert stored(sheet) == {first.pk: D("6.50")}
    assert response.json()["total"] == "6.50" and response.json()["n_scored"] == 1
    assert Score.objects.get(assignment=sheet).comment == ""  # PUT: left out is cleared


def test_a_put_that_changes_nothing_writes_no_event(mine):
    sheet, call, _tree = mine
    api = client_for(sheet.expert.user)
    payload = {"marks": marks_payload(call, "0.8")}
    assert api.put(sheet_url(sheet), payload, format="json").status_code == 200
    events = AuditEvent.objects.count()
    assert api.put(sheet_url(sheet), payload, format="json").status_code == 200
    assert AuditEvent.objects.count() == events


# The same errors as the portal ----------------------------------------------------------------


def _portal_errors(sheet, call, indicator, score="", comment="", action="save", share="0.8"):
    """The portal's form errors for the same marks (every other row at `share`)."""
    form = {"action": action}
    for mark in marks_payload(call, share):
        form[f"score_{mark['indicator']}"] = mark["score"]
        form[f"comment_{mark['indicator']}"] = ""
    form[f"score_{indicator.pk}"] = score
    form[f"comment_{indicator.pk}"] = comment
    response = logged_in(sheet.expert.user).post(
        reverse("portal:expert_sheet", args=[sheet.pk]), form
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    return {
        field: list(errors[f"{field}_{indicator.pk}"])
        for field in ("score", "comment")
        if f"{field}_{indicator.pk}" in errors
    }


@pytest.mark.parametrize("bad", ["abc", "-1", "8.01", "7.555", "1e3", "NaN", "", "  "])
def test_bad_scores_give_the_portals_errors(mine, bad):
    sheet, call, tree = mine
    indicator = tree.by_code["1.1"]
    comment = "说明" if bad.strip() == "" else ""  # a comment without a score
    before = state_of(sheet)
    marks = [m for m in marks_payload(call) if m["indicator"] != indicator.pk]
    marks.append({"indicator": indicator.pk, "score": bad, "comment": comment})
    response = client_for(sheet.expert.user).put(sheet_url(sheet), {"marks": marks}, format="json")
    assert response.status_code == 400
    errors = response.json()["marks"][str(indicator.pk)]
    assert errors == _portal_errors(sheet, call, indicator, score=bad, comment=comment)
    assert state_of(sheet) == before


def test_numbers_are_accepted_as_json_numbers(mine):
    sheet, _call, tree = mine
    indicator = tree.by_code["1.1"]
    api = client_for(sheet.expert.user)
    for score, expected in ((6.5, "6.50"), (6, "6.00")):
        response = api.patch(
            sheet_url(sheet),
            {"marks": [{"indicator": indicator.pk, "score": score}]},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["rows"][0]["score"] == expected
    response = api.patch(
        sheet_url(sheet), {"marks": [{"indicator": indicator.pk, "score": 8.5}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["marks"][str(indicator.pk)] == _portal_errors(
        sheet, _call, indicator, score="8.5"
    )


def test_submitting_an_incomplete_or_unexplained_sheet_gives_the_portals_errors(mine):
    sheet, call, tree = mine
    api = client_for(sheet.expert.user)
    indicator = tree.by_code["1.1"]
    marks = [m for m in marks_payload(call) if m["indicator"] != indicator.pk]
    assert api.put(sheet_url(sheet), {"marks": marks}, format="json").status_code == 200
    before = state_of(sheet)

    response = api.post(submit_url(sheet), {}, format="json")
    assert response.status_code == 400
    missing = response.json()["marks"][str(indicator.pk)]
    assert missing == {"score": ["Give a score before submitting."]}
    assert missing == _portal_errors(sheet, call, indicator, action="submit")
    assert state_of(sheet) == before

    full = [{"indicator": indicator.pk, "score": "8", "comment": ""}]  # > 95 %: unusually high
    response = api.post(submit_url(sheet), {"marks": full}, format="json")
    assert response.status_code == 400
    high = response.json()["marks"][str(indicator.pk)]
    assert high == {"comment": ["This score is unusually high; explain it."]}
    assert high == _portal_errors(sheet, call, indicator, score="8", action="submit")
    low = [{"indicator": indicator.pk, "score": "1", "comment": " "}]
    response = api.post(submit_url(sheet), {"marks": low}, format="json")
    assert response.json()["marks"][str(indicator.pk)] == {
        "comment": ["This score is unusually low; explain it."]
    }
    assert state_of(sheet) == before  # nothing saved when the submission is refused


def test_unknown_duplicate_or_unmarked_indicators_are_400(mine):
    sheet, _call, tree = mine
    api = client_for(sheet.expert.user)
    quantitative = tree.quantitative[0]
    judged = tree.judged[0]
    _other_call, _s, _a = review_call(applications=1)
    foreign = call_rubric_tree(_other_call).judged[0]
    before = state_of(sheet)
    cases = [
        (10**9, "There is no indicator with this id on this score sheet."),
        (foreign.pk, "There is no indicator with this id on this score sheet."),
        (quantitative.pk, f"Indicator “{quantitative.code}” is not marked by experts."),
    ]
    for pk, message in cases:
        response = api.patch(
            sheet_url(sheet), {"marks": [{"indicator": pk, "score": "1"}]}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["marks"][str(pk)] == {"indicator": [message]}
    twice = [{"indicator": judged.pk, "score": "6"}, {"indicator": judged.pk, "score": "7"}]
    response = api.patch(sheet_url(sheet), {"marks": twice}, format="json")
    assert response.status_code == 400
    assert response.json()["marks"][str(judged.pk)] == {
        "indicator": ["This indicator is listed twice."]
    }
    assert state_of(sheet) == before


BAD_BODIES = [
    {},
    {"marks": "all good"},
    {"marks": [1, 2]},
    {"marks": [{"score": "5"}]},
    {"marks": [{"indicator": "one", "score": "5"}]},
    {"marks": [{"indicator": -3, "score": "5"}]},
    {"marks": [{"indicator": 1, "score": True}]},
    {"marks": [{"indicator": 1, "score": ["5"]}]},
    {"marks": [{"indicator": 1, "score": "5", "comment": {"a": 1}}]},
    {"marks": [{"indicator": 1, "score": "9" * 50}]},
    {"marks": [{"indicator": n, "score": "1"} for n in range(1, 600)]},
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_malformed_bodies_are_400(mine, body):
    sheet, _call, _tree = mine
    api = client_for(sheet.expert.user)
    before = state_of(sheet)
    for method in (api.put, api.patch):
        response = method(sheet_url(sheet), body, format="json")
        assert response.status_code == 400
        assert "marks" in response.json()
    if body:
        assert api.post(submit_url(sheet), body, format="json").status_code == 400
    assert state_of(sheet) == before


def test_malformed_json_is_400(mine):
    sheet, _call, _tree = mine
    api = client_for(sheet.expert.user)
    before = state_of(sheet)
    for method in (api.put, api.patch, api.post):
        url = submit_url(sheet) if method == api.post else sheet_url(sheet)
        response = method(url, "{not json", content_type="application/json")
        assert response.status_code == 400 and response.json()["detail"]
    assert state_of(sheet) == before


# Submitting -----------------------------------------------------------------------------------


def _submit_event(sheet) -> tuple:
    event = AuditEvent.objects.get(action="assignment.submit", object_id=str(sheet.pk))
    diff = {k: v for k, v in event.diff.items() if k not in ("assignment", "expert", "digest")}
    diff["application"] = None
    return (event.action, event.object_type, event.role, event.from_state, event.to_state, diff)


def test_submit_locks_the_sheet_and_writes_the_portals_event(review):
    call, _staff, _apps, _draw, sheets, experts = review
    through_api, through_portal = sheets[experts[0]][0], sheets[experts[1]][0]
    api = client_for(experts[0].user)
    payload = marks_payload(call, "0.8", comment="依据申报材料评分")
    response = api.post(submit_url(through_api), {"marks": payload}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["state"] == AssignmentState.SUBMITTED and data["editable"] is False
    assert data["total"] == "72.00" and data["submitted_at"]
    through_api.refresh_from_db()
    assert through_api.state == AssignmentState.SUBMITTED and through_api.total == D("72.00")

    form = {"action": "submit"}
    for mark in payload:
        form[f"score_{mark['indicator']}"] = mark["score"]
        form[f"comment_{mark['indicator']}"] = mark["comment"]
    url = reverse("portal:expert_sheet", args=[through_portal.pk])
    assert logged_in(experts[1].user).post(url, form).status_code == 302
    assert _submit_event(through_api) == _submit_event(through_portal)
    event = AuditEvent.objects.get(action="assignment.submit", object_id=str(through_api.pk))
    assert event.actor == experts[0].user


def test_submit_what_was_saved_before(mine):
    sheet, call, _tree = mine
    api = client_for(sheet.expert.user)
    payload = {"marks": marks_payload(call, "0.8", comment="好")}
    assert api.put(sheet_url(sheet), payload, format="json").status_code == 200
    response = api.post(submit_url(sheet))
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == AssignmentState.SUBMITTED


def test_a_submitted_sheet_refuses_changes_with_409(mine):
    sheet, call, _tree = mine
    submit_at(sheet, "0.8")
    api = client_for(sheet.expert.user)
    before = state_of(sheet)
    other = {"marks": marks_payload(call, "0.7", comment="改")}
    for response in (
        api.put(sheet_url(sheet), other, format="json"),
        api.patch(sheet_url(sheet), other, format="json"),
        api.post(submit_url(sheet), other, format="json"),
        api.post(submit_url(sheet)),
    ):
        assert response.status_code == 409
        assert "submitted and locked" in response.json()["detail"]
    assert state_of(sheet) == before
    assert api.get(sheet_url(sheet)).json()["editable"] is False


def test_after_the_review_is_over_saving_is_409(mine):
    sheet, call, _tree = mine
    force_state(sheet.application, ApplicationState.REVIEWED)
    api = client_for(sheet.expert.user)
    before = state_of(sheet)
    response = api.put(sheet_url(sheet), {"marks": marks_payload(call)}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "The expert review of this application is over."
    assert api.get(sheet_url(sheet)).json()["editable"] is False
    assert state_of(sheet) == before


# Who may --------------------------------------------------------------------------------------


def test_refused_for_everyone_but_the_assigned_expert(review):
    call, staff, applications, _draw, sheets, experts = review
    sheet = sheets[experts[0]][0]
    _c, _s, other_apps = review_call(applications=1)
    cases = [
        ("anonymous", None, 401),
        ("applicant", member(Role.APPLICANT, applications[0].organisation), 403),
        ("office staff", staff, 403),
        ("other office", member(Role.OFFICE_STAFF, OfficeFactory()), 403),
        ("approver", member(Role.DEPARTMENT_APPROVER, DepartmentFactory()), 403),
        ("unassigned expert", ReviewExpertFactory().user, 404),
        ("another call's expert", AssignmentFactory(application=other_apps[0]).expert.user, 404),
        ("colleague on the panel", experts[1].user, 404),
    ]
    payload = {"marks": marks_payload(call, "0.8", comment="x")}
    before = state_of(sheet)
    for label, user, expected in cases:
        api = client_for(user)
        assert api.get(sheet_url(sheet)).status_code == expected, label
        assert api.put(sheet_url(sheet), payload, format="json").status_code == expected, label
        assert api.patch(sheet_url(sheet), payload, format="json").status_code == expected, label
        assert api.post(submit_url(sheet), payload, format="json").status_code == expected, label
    assert state_of(sheet) == before


def test_the_object_permission_is_required_and_void_sheets_are_gone(review):
    call, _staff, _apps, _draw, sheets, experts = review
    first, second = sheets[experts[0]]
    api = client_for(experts[0].user)
    remove_perm("workflow.score_assignment", experts[0].user, first)
    force_state(second, AssignmentState.VOID)
    payload = {"marks": marks_payload(call)}
    for sheet in (first, second):
        assert api.get(sheet_url(sheet)).status_code == 404
        assert api.put(sheet_url(sheet), payload, format="json").status_code == 404
        assert api.post(submit_url(sheet), payload, format="json").status_code == 404
    assert not Score.objects.exists()


def test_delete_is_not_allowed(mine):
    sheet, _call, _tree = mine
    response = client_for(sheet.expert.user).delete(sheet_url(sheet))
    assert response.status_code == 405


# Blind review ---------------------------------------------------------------------------------


def test_nothing_reveals_the_other_experts_marks(review):
    _call, _staff, _apps, draw, sheets, experts = review
    mine_sheet = sheets[experts[0]][0]
    submit_at(sheets[experts[1]][0], "0.7", comment="另一位专家的保密意见")
    submit_at(sheets[experts[2]][0], "0.5", comment="第三位专家的保密意见")
    submit_at(mine_sheet, "0.8")
    api = client_for(experts[0].user)
    for state in (DrawState.DRAWN, DrawState.CLOSED):
        force_state(draw, state)
        body = api.get(sheet_url(mine_sheet)).content.decode()
        data = json.loads(body)
        assert data["total"] == "72.00"
        for other in experts[1:]:
            assert other.name not in body
        assert "保密意见" not in body
        assert "63.00" not in body and "45.00" not in body  # the others' totals
        own = {s.indicator_id: s for s in Score.objects.filter(assignment=mine_sheet)}
        for row in data["rows"]:  # each row carries this sheet's mark and comment only
            assert row["score"] == f"{own[row['indicator']].value:.2f}"
            assert row["comment"] == own[row["indicator"]].comment
        assert set(data) == {
            "assignment",
            "application",
            "application_title",
            "state",
            "editable",
            "submitted_at",
            "reopen_reason",
            "rubric",
            "total",
            "n_scored",
            "rows",
        }


def test_reading_costs_the_same_whatever_the_number_of_marks(mine):
    sheet, call, tree = mine
    api = client_for(sheet.expert.user)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(sheet_url(sheet)).status_code == 200
        return len(ctx.captured_queries)

    payload = marks_payload(call)
    api.put(sheet_url(sheet), {"marks": payload[:2]}, format="json")
    few = count()
    api.put(sheet_url(sheet), {"marks": payload}, format="json")
    assert len(stored(sheet)) == len(tree.judged) > 2
    assert count() == few


def test_the_schema_documents_the_new_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    sheet = paths["/api/v1/assignments/{id}/sheet/"]
    assert {"get", "put", "patch"} <= set(sheet)
    assert "post" in paths["/api/v1/assignments/{id}/sheet/submit/"]
    listing = paths["/api/v1/applications/{id}/attachments/"]
    assert "multipart/form-data" in listing["post"]["requestBody"]["content"]
    download = paths["/api/v1/applications/{id}/attachments/{attachment_pk}/"]
    assert "application/pdf" in download["get"]["responses"]["200"]["content"]
    assert "204" in download["delete"]["responses"]
