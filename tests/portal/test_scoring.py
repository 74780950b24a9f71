"""The expert's score sheet through HTTP: the form, drafts, submission, refusals, blind review."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    AssignmentFactory,
    OfficeFactory,
    ReviewExpertFactory,
    force_state,
    marks_at,
    member,
    review_call,
    review_panel,
    submit_at,
)
from tests.portal.helpers import logged_in, text
from workflow.choices import AssignmentState, DrawState, Role
from workflow.models import Score
from workflow.selectors.scoring import call_rubric_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def review():
    call, staff, applications = review_call(applications=2)
    draw, sheets = review_panel(call, applications, experts=3)
    experts = list(sheets)
    return call, staff, applications, draw, sheets, experts


def sheet_url(sheet):
    return reverse("portal:expert_sheet", args=[sheet.pk])


def post_data(call, share="0.8", action="save", comment="", **overrides):
    """The sheet form with every judged indicator at `share` of its points."""
    tree = call_rubric_tree(call)
    marks = marks_at(call, share, comment)
    data = {"action": action}
    for indicator in tree.judged:
        data[f"score_{indicator.pk}"] = str(marks[indicator.code].value)
        data[f"comment_{indicator.pk}"] = comment
    for code, value in overrides.items():
        indicator = tree.by_code[code.replace("_", ".")]
        data[f"score_{indicator.pk}"] = value
    return data


def test_the_form_shows_the_rubric_guidance_and_total(review):
    _call, _staff, _apps, _draw, sheets, experts = review
    sheet = sheets[experts[0]][0]
    response = logged_in(experts[0].user).get(sheet_url(sheet))
    assert response.status_code == 200
    page = text(response)
    assert "实训条件与设施设备" in page and "实训功能" in page
    assert "优（全面达到）" in page  # a guidance band
    assert "年培训规模" in page and "Quantitative" in page  # shown, not marked by experts
    assert "近三年发生重大安全生产事故" in page and "Veto item" in page
    assert 'id="running-total"' in page and "portal/scoring.js" in page
    assert 'name="action" value="submit"' in page and "csrfmiddlewaretoken" in page


def test_save_draft_then_submit_through_http(review):
    call, _staff, _apps, _draw, sheets, experts = review
    sheet = sheets[experts[0]][0]
    client = logged_in(experts[0].user)
    data = post_data(call, "0.8")
    tree = call_rubric_tree(call)
    for indicator in tree.judged[1:]:  # a half-done draft: only the first mark
        data[f"score_{indicator.pk}"] = ""
    response = client.post(sheet_url(sheet), data)
    assert response.status_code == 302
    assert Score.objects.get(assignment=sheet).value == D("6.40")
    assert "The draft is saved." in text(client.get(sheet_url(sheet)))

    response = client.post(sheet_url(sheet), post_data(call, "0.8", action="submit"))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.state == AssignmentState.SUBMITTED
    page = text(client.get(sheet_url(sheet)))
    assert "The score sheet is submitted and locked." in page
    assert "72.00" in page and 'name="action"' not in page  # read-only now
    # A further post changes nothing.
    response = client.post(sheet_url(sheet), post_data(call, "0.7"), follow=True)
    assert "submitted and locked" in text(response)
    assert sum(s.value for s in Score.objects.filter(assignment=sheet)) == D("72.00")


def test_submitting_an_incomplete_or_unexplained_sheet_shows_the_fields(review):
    call, _staff, _apps, _draw, sheets, experts = review
    sheet = sheets[experts[0]][0]
    client = logged_in(experts[0].user)
    data = post_data(call, "0.8", action="submit", **{"1_1": ""})
    response = client.post(sheet_url(sheet), data)
    assert response.status_code == 200
    assert "Give a score before submitting." in text(response)

    data = post_data(call, "0.8", action="submit", **{"1_1": "8"})  # full marks: > 95 %
    response = client.post(sheet_url(sheet), data)
    assert response.status_code == 200
    assert "This score is unusually high; explain it." in text(response)
    assert not Score.objects.exists()
    sheet.refresh_from_db()
    assert sheet.state == AssignmentState.OPEN
    # The server counts the total of what was typed: 72 - 6.4 + 8.
    assert "73.60" in text(response)


@pytest.mark.parametrize("bad", ["abc", "-1", "8.01", "7.555", "1e3", "NaN"])
def test_malformed_marks_are_refused_with_a_message(review, bad):
    call, _staff, _apps, _draw, sheets, experts = review
    sheet = sheets[experts[0]][0]
    response = logged_in(experts[0].user).post(
        sheet_url(sheet), post_data(call, "0.8", **{"1_1": bad})
    )
    assert response.status_code == 200
    assert "errorlist" in text(response)
    assert not Score.objects.exists()


def test_a_comment_without_a_score_is_refused(review):
    call, _staff, _apps, _draw, sheets, experts = review
    sheet = sheets[experts[0]][0]
    data = post_data(call, "0.8", **{"1_1": ""})
    data[f"comment_{call_rubric_tree(call).by_code['1.1'].pk}"] = "待定"
    response = logged_in(experts[0].user).post(sheet_url(sheet), data)
    assert response.status_code == 200 and "A comment needs a score." in text(response)


def test_wrong_users_are_refused(review):
    call, staff, applications, _draw, sheets, experts = review
    sheet = sheets[experts[0]][0]
    url = sheet_url(sheet)
    unassigned = ReviewExpertFactory().user
    _c, _s, other_apps = review_call(applications=1)
    other_call_expert = AssignmentFactory(application=other_apps[0]).expert.user
    colleague = experts[1].user  # on the same panel, but this sheet is not theirs
    for user in (unassigned, other_call_expert, colleague):
        client = logged_in(user)
        assert client.get(url).status_code == 404
        assert client.post(url, post_data(call)).status_code == 404
        assert client.post(reverse("portal:expert_sheet_explain", args=[sheet.pk])).status_code == (
            404
        )
    applicant = member(Role.APPLICANT, applications[0].organisation)
    other_office = member(Role.OFFICE_STAFF, OfficeFactory())
    for user in (applicant, staff, other_office):
        client = logged_in(user)
        assert client.get(url).status_code == 403
        assert client.post(url, post_data(call)).status_code == 403
        assert client.get(reverse("portal:expert_assignment_list")).status_code == 403
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert not Score.objects.exists()


def test_a_void_sheet_is_gone_and_the_permission_is_required(review):
    _call, _staff, _apps, _draw, sheets, experts = review
    client = logged_in(experts[0].user)
    first, second = sheets[experts[0]]
    force_state(first, AssignmentState.VOID)
    assert client.get(sheet_url(first)).status_code == 404
    from guardian.shortcuts import remove_perm

    remove_perm("workflow.score_assignment", experts[0].user, second)
    assert client.get(sheet_url(second)).status_code == 404
    assert list(client.get(reverse("portal:expert_assignment_list")).context["assignments"]) == []


def test_actions_need_post_and_csrf(review):
    call, _staff, _apps, _draw, sheets, experts = review
    sheet = sheets[experts[0]][0]
    client = logged_in(experts[0].user)
    assert client.get(reverse("portal:expert_sheet_explain", args=[sheet.pk])).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(experts[0].user)
    assert strict.post(sheet_url(sheet), post_data(call)).status_code == 403
    assert not Score.objects.exists()


def test_blind_until_the_panel_closes(review):
    _call, _staff, _apps, draw, sheets, experts = review
    for expert, share in zip(experts, ["0.8", "0.7", "0.5"], strict=True):
        submit_at(sheets[expert][0], share)
    client = logged_in(experts[0].user)
    page = text(client.get(sheet_url(sheets[experts[0]][0])))
    for other in experts[1:]:
        assert other.name not in page
    assert "63.00" not in page and "45.00" not in page  # the others' totals
    assert "The panel&#x27;s totals" not in page and "Expert 2" not in page

    force_state(draw, DrawState.CLOSED)
    page = text(client.get(sheet_url(sheets[experts[0]][0])))
    assert "Expert 1" in page and "Expert 3" in page
    assert "63.00" in page and "45.00" in page
    for other in experts[1:]:
        assert other.name not in page
    # Totals 72, 63, 45: the mean is 60, and 45 is exactly 15 away: not more, so not flagged.
    page3 = text(logged_in(experts[2].user).get(sheet_url(sheets[experts[2]][0])))
    assert "please explain it in writing" not in page3


def test_dispersion_explanation_through_http(review):
    _call, _staff, _apps, draw, sheets, experts = review
    for expert, share in zip(experts, ["0.8", "0.8", "0.5"], strict=True):
        submit_at(sheets[expert][0], share)
    force_state(draw, DrawState.CLOSED)
    client = logged_in(experts[2].user)
    url = sheet_url(sheets[experts[2]][0])
    assert "please explain it in writing" in text(client.get(url))  # 45 vs mean 63
    explain = reverse("portal:expert_sheet_explain", args=[sheets[experts[2]][0].pk])
    response = client.post(explain, {"explanation": ""})
    assert response.status_code == 200 and "errorlist" in text(response)
    response = client.post(explain, {"explanation": "该申报项目建设资金未落实"})
    assert response.status_code == 302
    sheets[experts[2]][0].refresh_from_db()
    assert sheets[experts[2]][0].explanation == "该申报项目建设资金未落实"


def test_the_list_costs_the_same_whatever_its_length():
    call, _staff, applications = review_call(applications=6)
    expert = ReviewExpertFactory()
    _draw, _sheets = review_panel(call, applications[:2], experts=0)
    from tests.factories import InvitationFactory

    invitation = InvitationFactory(draw=_draw, expert=expert)
    client = logged_in(expert.user)
    url = reverse("portal:expert_assignment_list")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["assignments"])

    for application in applications[:2]:
        AssignmentFactory(invitation=invitation, application=application)
    small, n = count()
    assert n == 2
    for application in applications[2:]:
        AssignmentFactory(invitation=invitation, application=application)
    large, n = count()
    assert n == 6 and large == small


def test_the_sheet_links_the_applications_documents_for_the_expert():
    from tests.factories import review_call, review_panel
    from tests.portal.helpers import logged_in as client_for

    call, _staff, applications = review_call(applications=1)
    _draw, sheets = review_panel(call, applications, experts=1)
    expert, [sheet] = next(iter(sheets.items()))
    page = client_for(expert.user).get(reverse("portal:expert_sheet", args=[sheet.pk]))
    attachment = applications[0].attachments.first()
    link = reverse("portal:attachment_download", args=[applications[0].pk, attachment.pk])
    assert link in page.content.decode()
    assert client_for(expert.user).get(link).status_code == 200
