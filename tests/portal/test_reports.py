"""Reports: the office dashboard with charts (portal:office_dashboard) and the score sheets as
PDF (portal:scoresheet_pdf, portal:office_application_sheets_pdf, portal:office_call_sheets_pdf).

Who may: the office of the call (staff, director); the expert for their own submitted sheet.
Everyone else is refused with nothing shown, and no page changes anything."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import (
    DepartmentFactory,
    OfficeFactory,
    member,
    published_call,
    review_call,
    review_panel,
    submit_at,
)
from tests.factories_landing import confirmed_agreement, landing_parties
from tests.portal.helpers import audit_count, logged_in, text
from workflow.choices import Role
from workflow.models import Call
from workflow.selectors.scoring import call_rubric_tree

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("portal:office_dashboard")


def pdf_text(response) -> str:
    pages = PdfReader(io.BytesIO(response.content)).pages
    return "".join(p.extract_text() for p in pages).replace(" ", "").replace("\n", "")


def pdf_pages(response) -> int:
    return len(PdfReader(io.BytesIO(response.content)).pages)


@pytest.fixture
def review():
    """A call with two applications and two experts; the first application is fully scored,
    the second has one submitted and one open sheet."""
    call, staff, applications = review_call(applications=2)
    _draw, sheets = review_panel(call, applications, experts=2)
    (first_expert, first_sheets), (second_expert, second_sheets) = sheets.items()
    submit_at(first_sheets[0], "0.9")
    submit_at(second_sheets[0], "0.5")
    submit_at(first_sheets[1], "0.7")
    return {
        "call": call,
        "staff": staff,
        "applications": applications,
        "experts": (first_expert, second_expert),
        "submitted": first_sheets[0],
        "open": second_sheets[1],
        "other_expert_sheet": second_sheets[0],
    }


def refused_users(review) -> dict:
    """Users who must see nothing of the call's reports."""
    application = review["applications"][0]
    return {
        "applicant": member(Role.APPLICANT, application.organisation),
        "approver": member(
            Role.DEPARTMENT_APPROVER, DepartmentFactory(office=review["call"].office)
        ),
        "supervisor": member(Role.SUPERVISOR, review["call"].office),
        "other office staff": member(Role.OFFICE_STAFF, OfficeFactory()),
        "other office director": member(Role.OFFICE_DIRECTOR, OfficeFactory()),
    }


# The dashboard -------------------------------------------------------------------------------


def test_staff_see_the_charts_of_their_latest_call_with_scores(review):
    call = review["call"]
    response = logged_in(review["staff"]).get(DASHBOARD)
    assert response.status_code == 200
    page = text(response)
    assert "Office dashboard" in page
    assert f'<option value="{call.pk}" selected>' in page
    for chart in ("chart-scores", "chart-dispersion"):
        assert f'id="{chart}" role="img"' in page
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
    assert "Data table: score distribution" in page and "Data table: expert dispersion" in page
    for application in review["applications"]:
        assert application.title in page  # in the tables
    assert reverse("portal:office_call_sheets_pdf", args=[call.pk]) in page
    assert "No project of your office is under construction." in page
    # Experts' names are not needed on the charts.
    for expert in review["experts"]:
        assert expert.name not in page


def test_the_dashboard_is_chinese_first(review):
    response = logged_in(review["staff"], lang=None).get(DASHBOARD)
    assert response.status_code == 200
    page = text(response)
    assert 'lang="zh-hans"' in page and 'id="chart-scores" role="img"' in page


def test_the_director_of_the_office_sees_the_dashboard_too(review):
    director = member(Role.OFFICE_DIRECTOR, review["call"].office)
    response = logged_in(director).get(DASHBOARD)
    assert response.status_code == 200 and review["call"].title in text(response)


def test_a_call_is_chosen_with_the_select(review):
    office = review["call"].office
    older, _staff, applications = review_call(applications=1, office=office)
    Call.objects.filter(pk=older.pk).update(  # set-up only: a call of last year
        opens_at=timezone.now() - dt.timedelta(days=400),
        closes_at=timezone.now() - dt.timedelta(days=300),
    )
    _d, sheets = review_panel(older, applications, experts=1)
    submit_at(next(iter(sheets.values()))[0], "0.6")
    client = logged_in(review["staff"])
    assert f'<option value="{review["call"].pk}" selected>' in text(client.get(DASHBOARD))
    page = text(client.get(DASHBOARD, {"call": older.pk}))
    assert f'<option value="{older.pk}" selected>' in page
    assert applications[0].title in page
    assert review["applications"][1].title not in page


def test_another_offices_call_is_never_shown(review):
    call = review["call"]
    other_staff = member(Role.OFFICE_STAFF, OfficeFactory())
    client = logged_in(other_staff)
    for params in ({}, {"call": call.pk}):
        response = client.get(DASHBOARD, params)
        assert response.status_code == 200
        page = text(response)
        assert call.title not in page
        for application in review["applications"]:
            assert application.title not in page
        assert "chart-scores" not in page


@pytest.mark.parametrize("bad", ["abc", "-1", "99999999999999999999", "1 OR 1=1", "%00"])
def test_a_malformed_call_choice_gets_a_message_not_an_error(review, bad):
    before = audit_count()
    response = logged_in(review["staff"]).get(DASHBOARD, {"call": bad})
    assert response.status_code == 200
    page = text(response)
    assert "Choose one of your office&#x27;s calls that has scores." in page
    assert "chart-scores" not in page
    assert audit_count() == before


def test_empty_states_when_the_office_has_no_scores_and_no_projects():
    call, staff, _applications = review_call(applications=1)
    page = text(logged_in(staff).get(DASHBOARD))
    assert "No scores yet" in page
    assert "No project of your office is under construction." in page
    assert "<svg" not in page and call.title not in page


def test_the_landing_chart_shows_the_offices_projects_under_construction():
    application, staff, applicant = landing_parties()
    confirmed_agreement(application, staff, applicant)
    elsewhere, other_staff, other_applicant = landing_parties()
    confirmed_agreement(elsewhere, other_staff, other_applicant)
    page = text(logged_in(staff).get(DASHBOARD))
    assert 'id="chart-milestones" role="img"' in page
    assert 'id="chart-reports" role="img"' in page
    assert application.title in page and application.organisation.name in page
    assert elsewhere.organisation.name not in page
    assert "Data table: progress of projects" in page
    link = reverse("portal:agreement_detail", args=[application.pk])
    assert f'href="{link}"' in page
    director = member(Role.OFFICE_DIRECTOR, application.call.office)
    assert logged_in(director).get(DASHBOARD).status_code == 200
    assert logged_in(director).get(link).status_code == 200


def test_applicants_experts_approvers_and_supervisors_get_403(review):
    users = refused_users(review)
    users.pop("other office staff")
    users.pop("other office director")
    users["expert"] = review["experts"][0].user
    before = audit_count()
    for name, user in users.items():
        assert logged_in(user).get(DASHBOARD).status_code == 403, name
    assert audit_count() == before


def test_anonymous_users_are_sent_to_log_in():
    response = Client().get(DASHBOARD)
    assert response.status_code == 302 and "login" in response["Location"]


def _dashboard_queries(n: int) -> int:
    office = OfficeFactory()
    call, _staff, applications = review_call(applications=n, office=office)
    staff = member(Role.OFFICE_STAFF, office)
    _draw, sheets = review_panel(call, applications, experts=2)
    for expert, share in zip(sheets, ("0.9", "0.5"), strict=True):
        for sheet in sheets[expert]:
            submit_at(sheet, share)
    landing_call = published_call(office=office)
    for _n in range(n):
        application, project_staff, applicant = landing_parties(call=landing_call)
        confirmed_agreement(application, project_staff, applicant)
    client = logged_in(staff)
    client.get(DASHBOARD)  # warm up the session and caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    page = text(response)
    assert page.count('<tr><td class="num">') == n  # the final scores' table rows
    assert page.count('/agreement/">') == n  # the projects' table rows
    return len(queries)


def test_the_dashboard_costs_the_same_for_2_and_10_rows():
    assert _dashboard_queries(2) == _dashboard_queries(10)


# Score sheets as PDF --------------------------------------------------------------------------


def sheet_pdf_url(sheet) -> str:
    return reverse("portal:scoresheet_pdf", args=[sheet.pk])


def test_the_office_downloads_a_submitted_sheet_with_chinese_text(review):
    sheet, call = review["submitted"], review["call"]
    director = member(Role.OFFICE_DIRECTOR, call.office)
    for user in (review["staff"], director):
        response = logged_in(user).get(sheet_pdf_url(sheet))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        content = pdf_text(response)
        assert "专家评分表" in content and sheet.expert.name in content
        for indicator in call_rubric_tree(call).judged:
            assert indicator.name.replace(" ", "") in content
        sheet.refresh_from_db()
        assert f"合计{sheet.total}" in content


def test_the_expert_downloads_their_own_submitted_sheet_only(review):
    sheet = review["submitted"]
    client = logged_in(sheet.expert.user)
    response = client.get(sheet_pdf_url(sheet))
    assert response.status_code == 200 and sheet.expert.name in pdf_text(response)
    # Another expert's sheet, even on the same application, is not theirs.
    assert client.get(sheet_pdf_url(review["other_expert_sheet"])).status_code == 404
    other = review["other_expert_sheet"].expert.user
    assert logged_in(other).get(sheet_pdf_url(sheet)).status_code == 404


def test_a_sheet_not_submitted_has_no_pdf(review):
    sheet = review["open"]
    assert logged_in(review["staff"]).get(sheet_pdf_url(sheet)).status_code == 404
    assert logged_in(sheet.expert.user).get(sheet_pdf_url(sheet)).status_code == 404


def test_everyone_else_is_refused_the_sheet_pdf(review):
    sheet = review["submitted"]
    before = audit_count()
    for name, user in refused_users(review).items():
        response = logged_in(user).get(sheet_pdf_url(sheet))
        assert response.status_code == 404, name
        assert sheet.expert.name.encode() not in response.content
    response = Client().get(sheet_pdf_url(sheet))
    assert response.status_code == 302 and "login" in response["Location"]
    assert (
        logged_in(review["staff"]).get(reverse("portal:scoresheet_pdf", args=[999999])).status_code
        == 404
    )
    assert audit_count() == before


def test_the_office_downloads_every_submitted_sheet_of_an_application(review):
    application = review["applications"][0]
    url = reverse("portal:office_application_sheets_pdf", args=[application.pk])
    response = logged_in(review["staff"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert pdf_pages(response) == 2  # one page per submitted sheet (two experts)
    content = pdf_text(response)
    for expert in review["experts"]:
        assert expert.name in content


def test_an_application_without_submitted_sheets_gets_a_message(review):
    call, staff, applications = review_call(applications=1, office=review["call"].office)
    review_panel(call, applications, experts=1)
    url = reverse("portal:office_application_sheets_pdf", args=[applications[0].pk])
    response = logged_in(staff).get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:office_ranking", args=[call.pk])
    assert "This application has no submitted score sheet yet." in text(response)


def test_the_office_downloads_every_submitted_sheet_of_a_call(review):
    url = reverse("portal:office_call_sheets_pdf", args=[review["call"].pk])
    response = logged_in(review["staff"]).get(url)
    assert response.status_code == 200
    assert pdf_pages(response) == 3  # the three submitted sheets; the open one is left out
    content = pdf_text(response)
    for application in review["applications"]:
        assert application.title in content


def test_a_call_without_submitted_sheets_gets_a_message():
    call, staff, _applications = review_call(applications=1)
    url = reverse("portal:office_call_sheets_pdf", args=[call.pk])
    response = logged_in(staff).get(url, follow=True)
    assert "This call has no submitted score sheet yet." in text(response)


def test_the_bundles_are_for_the_calls_office_only(review):
    urls = [
        reverse("portal:office_application_sheets_pdf", args=[review["applications"][0].pk]),
        reverse("portal:office_call_sheets_pdf", args=[review["call"].pk]),
    ]
    users = refused_users(review)
    expected = {
        "applicant": 403,
        "approver": 403,
        "supervisor": 403,
        "other office staff": 404,
        "other office director": 404,
    }
    before = audit_count()
    for url in urls:
        for name, user in users.items():
            assert logged_in(user).get(url).status_code == expected[name], (name, url)
        assert logged_in(review["experts"][0].user).get(url).status_code == 403
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert audit_count() == before


def test_the_sheet_pages_and_the_ranking_link_the_pdfs(review):
    sheet, call = review["submitted"], review["call"]
    staff = logged_in(review["staff"])
    office_page = text(staff.get(reverse("portal:office_sheet", args=[sheet.pk])))
    assert sheet_pdf_url(sheet) in office_page
    assert (
        reverse("portal:office_application_sheets_pdf", args=[sheet.application_id]) in office_page
    )
    expert_page = text(
        logged_in(sheet.expert.user).get(reverse("portal:expert_sheet", args=[sheet.pk]))
    )
    assert sheet_pdf_url(sheet) in expert_page
    open_page = text(
        logged_in(review["open"].expert.user).get(
            reverse("portal:expert_sheet", args=[review["open"].pk])
        )
    )
    assert sheet_pdf_url(review["open"]) not in open_page
    ranking = text(staff.get(reverse("portal:office_ranking", args=[call.pk])))
    assert reverse("portal:office_call_sheets_pdf", args=[call.pk]) in ranking
    assert sheet_pdf_url(sheet) in ranking
    assert sheet_pdf_url(review["open"]) not in ranking


def test_the_live_review_dashboard_links_the_charts_once_there_are_scores(review):
    call = review["call"]
    page = text(
        logged_in(review["staff"]).get(reverse("portal:office_review_dashboard", args=[call.pk]))
    )
    assert f'href="{DASHBOARD}?call={call.pk}"' in page
    unscored, staff, _applications = review_call(applications=1)
    page = text(logged_in(staff).get(reverse("portal:office_review_dashboard", args=[unscored.pk])))
    assert f"{DASHBOARD}?call=" not in page  # (the top navigation may link the page itself)
