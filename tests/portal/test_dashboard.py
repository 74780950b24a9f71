"""The live review dashboard page: the office's staff and director only, the snapshot rendered
on the server (the page works without JavaScript), constant queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import OfficeFactory, member, review_call, review_panel, submit_at
from tests.portal.helpers import logged_in, text
from workflow.choices import Role

pytestmark = pytest.mark.django_db


def url(call) -> str:
    return reverse("portal:office_review_dashboard", args=[call.pk])


@pytest.fixture
def review():
    call, staff, applications = review_call(applications=2)
    _draw, sheets = review_panel(call, applications, experts=2)
    return call, staff, applications, sheets


def test_staff_see_the_progress_rendered_on_the_server(review):
    call, staff, applications, sheets = review
    expert = next(iter(sheets))
    submit_at(sheets[expert][0], "0.8")
    response = logged_in(staff).get(url(call))
    assert response.status_code == 200
    page = text(response)
    assert "Scoring progress" in page
    for application in applications:
        assert application.title in page
    for member_ in sheets:
        assert member_.name in page
    assert "1 / 2" in page  # the first application, and the expert who submitted
    assert f'data-ws-path="/ws/review/{call.pk}/"' in page
    assert "/static/portal/dashboard.js" in page
    assert f'href="{url(call)}"' in page  # the reload link, for pages without JavaScript
    assert "72.00" not in page  # progress only: scores are on the ranking page


def test_the_director_of_the_office_sees_it_too(review):
    call, _staff, _applications, _sheets = review
    director = member(Role.OFFICE_DIRECTOR, call.office)
    assert logged_in(director).get(url(call)).status_code == 200


def test_another_offices_staff_get_404(review):
    call, _staff, _applications, _sheets = review
    for role in (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR):
        other = logged_in(member(role, OfficeFactory()))
        assert other.get(url(call)).status_code == 404


def test_applicants_and_experts_get_403(review):
    call, _staff, applications, sheets = review
    applicant = member(Role.APPLICANT, applications[0].organisation)
    for user in (applicant, next(iter(sheets)).user):
        assert logged_in(user).get(url(call)).status_code == 403


def test_anonymous_users_are_sent_to_log_in(review):
    call, _staff, _applications, _sheets = review
    response = Client().get(url(call))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_call_page_links_to_the_dashboard(review):
    call, staff, _applications, _sheets = review
    page = text(logged_in(staff).get(reverse("portal:office_call_detail", args=[call.pk])))
    assert f'href="{url(call)}"' in page


def test_the_page_costs_the_same_whatever_the_number_of_applications():
    def measure(n):
        call, staff, applications = review_call(applications=n)
        _draw, sheets = review_panel(call, applications, experts=2)
        for rows in sheets.values():
            submit_at(rows[0], "0.8")
        client = logged_in(staff)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(call)).status_code == 200
        return len(ctx.captured_queries)

    assert measure(2) == measure(6)
