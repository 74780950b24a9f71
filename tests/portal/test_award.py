"""评审认定 → 授牌 pages: the whole path over HTTP, who may do what, and malformed posts."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import ExpertFactory, OfficeFactory, OrganisationFactory, member
from tests.factories_award import (
    awarded,
    declare,
    direct_award_project,
    drawn,
    pool,
    project,
    sheet_at,
)
from tests.portal.helpers import audit_count, logged_in, text
from workflow.choices import ApplicationState, Role
from workflow.models import Acceptance, Award
from workflow.models.award import AcceptanceState
from workflow.rules.acceptance import RUBRIC

pytestmark = pytest.mark.django_db

A = ApplicationState
S = AcceptanceState


@pytest.fixture
def experts():
    return pool(7)


@pytest.fixture
def p(experts):
    return project()


def url(name: str, *args) -> str:
    return reverse(f"portal:{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def scores_post(acceptance: Acceptance, share: str = "0.8", **overrides) -> dict:
    data = {"conclusion": "专家组意见：同意通过。", "rectification_due": ""}
    for member_ in acceptance.panel:
        for code, mark in sheet_at(share).items():
            data[f"e{member_['expert']}_{code}"] = mark
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# The whole path -----------------------------------------------------------------------------


def test_declare_draw_score_award_and_download_over_http(p):
    applicant, staff = logged_in(p.applicant), logged_in(p.staff)
    page = applicant.get(url("acceptance_declare", p.application.pk))
    assert page.status_code == 200 and "completion_report" in text(page)
    response = applicant.post(
        url("acceptance_declare", p.application.pk), {"completion_report": "建设任务全部完成。"}
    )
    assert response.status_code == 302
    acceptance = Acceptance.objects.get(application=p.application)
    assert p.refresh().state == A.ACCEPTANCE

    listing = staff.get(url("office_acceptance_list"))
    assert p.application.title in text(listing)
    page = staff.get(url("office_acceptance", p.application.pk))
    assert url("acceptance_draw", acceptance.pk) in text(page)

    response = staff.post(url("acceptance_draw", acceptance.pk), {"size": "5"})
    assert response.status_code == 302
    acceptance.refresh_from_db()
    assert acceptance.state == S.PANEL and len(acceptance.panel) == 5
    page = staff.get(url("office_acceptance", p.application.pk))
    assert url("acceptance_scores", acceptance.pk) in text(page)
    for member_ in acceptance.panel:
        assert member_["name"] in text(page)

    response = staff.post(url("acceptance_scores", acceptance.pk), scores_post(acceptance))
    assert response.status_code == 302
    acceptance.refresh_from_db()
    assert acceptance.state == S.PASSED and str(acceptance.total) == "80.00"
    page = staff.get(url("office_acceptance", p.application.pk))
    assert url("award_grant", p.application.pk) in text(page)

    response = staff.post(url("award_grant", p.application.pk), {"awarded_on": ""})
    assert response.status_code == 302
    award = Award.objects.get(application=p.application)
    assert p.refresh().state == A.AWARDED
    assert award.number in " ".join(messages_of(response))

    pdf = applicant.get(url("award_certificate", award.pk))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == award.certificate_sha256
    extracted = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert award.number in extracted


def test_fail_then_rectify_and_declare_again(p):
    acceptance = drawn(p)
    staff = logged_in(p.staff)
    response = staff.post(url("acceptance_scores", acceptance.pk), scores_post(acceptance, "0.4"))
    assert response.status_code == 302
    assert p.refresh().state == A.RECTIFYING
    acceptance.refresh_from_db()
    page = logged_in(p.applicant).get(url("acceptance_declare", p.application.pk))
    assert "专家组意见：同意通过。" in text(page)  # the conclusion
    assert acceptance.rectification_due.strftime("%Y-%m-%d") in text(page)
    for member_ in acceptance.panel:  # the organisation never sees who marked what
        assert member_["name"] not in text(page)
    response = logged_in(p.applicant).post(
        url("acceptance_declare", p.application.pk), {"completion_report": "整改完成。"}
    )
    assert response.status_code == 302
    assert Acceptance.objects.filter(application=p.application).count() == 2
    assert p.refresh().state == A.ACCEPTANCE


def test_direct_award_over_http_and_refused_on_a_selection_call(experts):
    direct = direct_award_project()
    selection = project(A.APPROVED)
    listing = logged_in(direct.staff).get(url("office_acceptance_list"))
    assert direct.application.title in text(listing)
    page = logged_in(direct.staff).get(url("office_acceptance", direct.application.pk))
    assert url("award_grant", direct.application.pk) in text(page)
    response = logged_in(direct.staff).post(url("award_grant", direct.application.pk))
    assert response.status_code == 302
    assert direct.refresh().state == A.AWARDED

    page = logged_in(selection.staff).get(url("office_acceptance", selection.application.pk))
    assert url("award_grant", selection.application.pk) not in text(page)
    before = audit_count()
    response = logged_in(selection.staff).post(url("award_grant", selection.application.pk))
    assert response.status_code == 302
    assert "acceptance review" in " ".join(messages_of(response))
    assert selection.refresh().state == A.APPROVED
    assert audit_count() == before
    listing = logged_in(selection.staff).get(url("office_acceptance_list"))
    assert selection.application.title not in [a.title for a in listing.context["applications"]]


def test_terminate_over_http(p):
    declare(p)
    response = logged_in(p.staff).post(
        url("application_terminate", p.application.pk), {"reason": "建设单位主动放弃。"}
    )
    assert response.status_code == 302
    assert p.refresh().state == A.TERMINATED


def test_public_award_list_shows_plaques_never_scores(p, experts):
    award = awarded(p)
    acceptance = Acceptance.objects.get(application=p.application)
    revoked_project = direct_award_project()
    revoked = awarded(revoked_project)
    # Revocation is another issue's service; the list must already show it.
    Award.objects.filter(pk=revoked.pk).update(state="revoked", revoked_on=dt.date(2030, 3, 1))
    page = Client().get(url("award_list"))
    assert page.status_code == 200
    body = text(page)
    for fact in (
        award.number,
        p.application.organisation.name,
        p.application.title,
        revoked.number,
        "2030-03-01",
    ):
        assert fact in body, fact
    assert str(acceptance.total) not in body
    for member_ in acceptance.panel:
        assert member_["name"] not in body
    assert url("award_certificate", award.pk) not in body


# Who may do what ----------------------------------------------------------------------------


@pytest.fixture
def scene(p):
    """An awarded project plus a second, drawn one; every kind of outsider."""
    award = awarded(p)
    second = project()
    acceptance = drawn(second)
    other_office = OfficeFactory()
    return {
        "p": p,
        "award": award,
        "second": second,
        "acceptance": acceptance,
        "stranger": member(Role.APPLICANT, OrganisationFactory()),
        "other_staff": member(Role.OFFICE_STAFF, other_office),
        "expert": ExpertFactory().user,
        "director": member(Role.OFFICE_DIRECTOR, second.office),
        "supervisor": member(Role.SUPERVISOR, other_office),
    }


def office_gets(s) -> list[str]:
    return [url("office_acceptance_list"), url("office_acceptance", s["second"].application.pk)]


def office_posts(s) -> list[tuple[str, dict]]:
    second, acceptance = s["second"], s["acceptance"]
    return [
        (url("acceptance_draw", acceptance.pk), {"size": "5"}),
        (url("acceptance_scores", acceptance.pk), scores_post(acceptance)),
        (url("award_grant", second.application.pk), {}),
        (url("application_terminate", second.application.pk), {"reason": "越权终止"}),
    ]


def assert_unchanged(s, before: int) -> None:
    s["acceptance"].refresh_from_db()
    assert s["acceptance"].state == S.PANEL
    assert s["second"].refresh().state == A.ACCEPTANCE
    assert audit_count() == before


def test_anonymous_logs_in_except_for_the_public_list(scene):
    client = Client()
    gets = [
        *office_gets(scene),
        url("acceptance_declare", scene["second"].application.pk),
        url("award_certificate", scene["award"].pk),
    ]
    before = audit_count()
    for target in gets:
        response = client.get(target)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for target, data in office_posts(scene):
        response = client.post(target, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(url("award_list")).status_code == 200
    assert_unchanged(scene, before)


def test_another_organisation(scene):
    client = logged_in(scene["stranger"])
    before = audit_count()
    declare_url = url("acceptance_declare", scene["p"].application.pk)
    assert client.get(declare_url).status_code == 404
    assert client.post(declare_url, {"completion_report": "冒名"}).status_code == 404
    assert client.get(url("award_certificate", scene["award"].pk)).status_code == 403
    for target in office_gets(scene):
        assert client.get(target).status_code == 403
    for target, data in office_posts(scene):
        assert client.post(target, data).status_code == 403
    assert_unchanged(scene, before)


def test_staff_of_another_office(scene):
    client = logged_in(scene["other_staff"])
    before = audit_count()
    listing = client.get(url("office_acceptance_list"))
    assert listing.status_code == 200 and not listing.context["applications"]
    assert client.get(url("office_acceptance", scene["second"].application.pk)).status_code == 404
    for target, data in office_posts(scene):
        assert client.post(target, data).status_code == 404, target
    assert client.get(url("award_certificate", scene["award"].pk)).status_code == 403
    declare_url = url("acceptance_declare", scene["second"].application.pk)
    assert client.get(declare_url).status_code == 403
    assert_unchanged(scene, before)


def test_an_expert_has_no_business_here(scene):
    client = logged_in(scene["expert"])
    before = audit_count()
    for target in office_gets(scene):
        assert client.get(target).status_code == 403
    for target, data in office_posts(scene):
        assert client.post(target, data).status_code == 403
    assert client.get(url("acceptance_declare", scene["p"].application.pk)).status_code == 403
    assert client.get(url("award_certificate", scene["award"].pk)).status_code == 403
    assert_unchanged(scene, before)


def test_the_director_reads_but_staff_decide(scene):
    client = logged_in(scene["director"])
    before = audit_count()
    page = client.get(url("office_acceptance", scene["second"].application.pk))
    assert page.status_code == 200
    assert url("acceptance_scores", scene["acceptance"].pk) not in text(page)
    for target, data in office_posts(scene):
        response = client.post(target, data)
        assert response.status_code in (200, 302), target
        assert any("staff" in m for m in messages_of(response)), target
    assert_unchanged(scene, before)


def test_certificate_readers(scene):
    award = scene["award"]
    p = scene["p"]
    staff_of_office = member(Role.OFFICE_STAFF, p.office)
    for user in (p.applicant, staff_of_office, scene["supervisor"]):
        assert logged_in(user).get(url("award_certificate", award.pk)).status_code == 200
    assert logged_in(p.applicant).get(url("award_certificate", 999999)).status_code == 404


def test_post_only_endpoints_refuse_get(scene):
    client = logged_in(scene["p"].staff)
    for target, _data in office_posts(scene):
        assert client.get(target).status_code == 405


# Malformed posts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"conclusion": None},
        {"conclusion": "   "},
        {"rectification_due": "next week"},
        "missing",
        "out of range",
        "not a number",
        "too many decimals",
    ],
)
def test_bad_score_sheets_change_nothing(p, overrides):
    acceptance = drawn(p)
    first = acceptance.panel[0]["expert"]
    field = f"e{first}_{RUBRIC[0].code}"
    cases = {
        "missing": {field: None},
        "out of range": {field: "31"},
        "not a number": {field: "abc"},
        "too many decimals": {field: "10.123"},
    }
    data = scores_post(
        acceptance, **(cases[overrides] if isinstance(overrides, str) else overrides)
    )
    before = audit_count()
    response = logged_in(p.staff).post(url("acceptance_scores", acceptance.pk), data)
    assert response.status_code == 200
    assert response.context["scores_form"].errors
    assert messages_of(response)
    acceptance.refresh_from_db()
    assert acceptance.state == S.PANEL and acceptance.total is None
    assert audit_count() == before


def test_a_forged_sheet_for_someone_off_the_panel_is_ignored(p, experts):
    acceptance = drawn(p)
    outsider = next(e for e in experts if e.id not in {m["expert"] for m in acceptance.panel})
    data = scores_post(acceptance)
    data[f"e{outsider.id}_targets"] = "0"
    response = logged_in(p.staff).post(url("acceptance_scores", acceptance.pk), data)
    assert response.status_code == 302
    acceptance.refresh_from_db()
    assert str(outsider.id) not in acceptance.scores


def test_scores_for_a_round_without_a_panel_are_refused_with_a_message(p):
    acceptance = declare(p)
    before = audit_count()
    response = logged_in(p.staff).post(url("acceptance_scores", acceptance.pk), {"conclusion": "x"})
    assert response.status_code == 302
    assert messages_of(response)
    assert audit_count() == before


@pytest.mark.parametrize("size", ["abc", "4", "3", "1000", "-5"])
def test_bad_panel_sizes(p, size):
    acceptance = declare(p)
    before = audit_count()
    response = logged_in(p.staff).post(url("acceptance_draw", acceptance.pk), {"size": size})
    assert response.status_code == 302
    assert messages_of(response)
    acceptance.refresh_from_db()
    assert acceptance.state == S.REQUESTED
    assert audit_count() == before


def test_too_small_a_pool_is_a_message(db):
    pool(3)
    small = project()
    acceptance = declare(small)
    response = logged_in(small.staff).post(url("acceptance_draw", acceptance.pk), {"size": "5"})
    assert response.status_code == 302
    assert "too small" in " ".join(messages_of(response))
    acceptance.refresh_from_db()
    assert acceptance.state == S.REQUESTED


@pytest.mark.parametrize("awarded_on", ["garbage", "2026-13-45", "2999-01-01"])
def test_bad_award_dates(db, awarded_on):
    direct = direct_award_project()
    before = audit_count()
    response = logged_in(direct.staff).post(
        url("award_grant", direct.application.pk), {"awarded_on": awarded_on}
    )
    assert response.status_code == 302
    assert messages_of(response)
    assert direct.refresh().state == A.APPROVED and not Award.objects.exists()
    assert audit_count() == before


@pytest.mark.parametrize("reason", ["", "   ", "长" * 2001])
def test_termination_needs_a_reason(p, reason):
    before = audit_count()
    response = logged_in(p.staff).post(
        url("application_terminate", p.application.pk), {"reason": reason}
    )
    assert response.status_code == 302
    assert messages_of(response)
    assert p.refresh().state == A.CONSTRUCTING
    assert audit_count() == before


@pytest.mark.parametrize("report", ["", "   ", "长" * 20001])
def test_bad_completion_reports(p, report):
    before = audit_count()
    response = logged_in(p.applicant).post(
        url("acceptance_declare", p.application.pk), {"completion_report": report}
    )
    assert response.status_code == 200
    assert "completion_report" in response.context["form"].errors
    assert p.refresh().state == A.CONSTRUCTING
    assert audit_count() == before


def test_declaring_in_the_wrong_state_is_a_message(experts):
    approved = project(A.APPROVED)
    response = logged_in(approved.applicant).post(
        url("acceptance_declare", approved.application.pk), {"completion_report": "完成。"}
    )
    assert response.status_code == 302
    assert messages_of(response)
    assert approved.refresh().state == A.APPROVED


# Query counts -------------------------------------------------------------------------------


def count_queries(client, target) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_cost_a_constant_number_of_queries(p, experts):
    staff = logged_in(p.staff)
    office = p.office

    def add(n):
        for _ in range(n):
            q = project(office=office)
            declare(q)
            awarded(direct_award_project(office=office))

    add(1)
    small = {
        target: count_queries(client, target)
        for target, client in (
            (url("office_acceptance_list"), staff),
            (url("award_list"), Client()),
        )
    }
    add(3)
    assert (
        count_queries(staff, url("office_acceptance_list")) == small[url("office_acceptance_list")]
    )
    assert count_queries(Client(), url("award_list")) == small[url("award_list")]
    assert len(staff.get(url("office_acceptance_list")).context["applications"]) >= 4
