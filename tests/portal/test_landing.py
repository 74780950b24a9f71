"""揭榜落地 pages: who may see and do what, and malformed posts that change nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import OfficeFactory, OrganisationFactory, member
from tests.factories_landing import (
    confirmed_agreement,
    drafted_agreement,
    landing_parties,
    load_wucheng_rules,
    market_recruitment_rule,
    sent_agreement,
)
from tests.portal.helpers import audit_count, logged_in, text
from workflow.choices import ApplicationState, Role
from workflow.models import Agreement, Milestone, ProgressReport
from workflow.models.landing import AgreementState, ReportState

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    load_wucheng_rules()
    return landing_parties()


@pytest.fixture
def application(parties):
    return parties[0]


@pytest.fixture
def office_staff(parties):
    return parties[1]


@pytest.fixture
def org_applicant(parties):
    return parties[2]


@pytest.fixture
def outsiders(application):
    """Everyone who must be refused, by name."""
    return {
        "stranger": member(Role.APPLICANT, OrganisationFactory()),
        "other_staff": member(Role.OFFICE_STAFF, OfficeFactory()),
        "director": member(Role.OFFICE_DIRECTOR, application.call.office),
    }


def agreement_post(**overrides) -> dict:
    """A valid agreement form post; override or drop (value None) single fields."""
    data = {
        "targets": "建成新能源汽车实训基地，年培训1000人次。",
        "term_years": "3",
        "starts_on": "2026-01-01",
        "budget_total": "800.00",
        "funding_government_investment": "300.00",
        "funding_self_raised": "500.00",
        "fit_out_cost": "1200000",
        "trainees_year_1": "300",
        "trainees_year_2": "600",
        "claims": ["wucheng_fit_out", "wucheng_training"],
        "milestones-TOTAL_FORMS": "2",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "60",
        "milestones-0-title": "完成实训车间装修",
        "milestones-0-due_on": "2026-06-30",
        "milestones-1-title": "",
        "milestones-1-due_on": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def status(user, url: str, method: str = "get", data: dict | None = None) -> int:
    client = logged_in(user) if user is not None else Client()
    return getattr(client, method)(url, data or {}).status_code


# Office pages ----------------------------------------------------------------------------------


def test_office_landing_lists_the_offices_approved_applications(
    application, office_staff, outsiders
):
    url = reverse("portal:office_landing")
    response = logged_in(office_staff).get(url)
    assert response.status_code == 200
    assert list(response.context["applications"]) == [application]
    other = logged_in(outsiders["other_staff"]).get(url)
    assert other.status_code == 200 and list(other.context["applications"]) == []
    assert status(outsiders["stranger"], url) == 403
    assert status(outsiders["director"], url) == 403
    assert status(None, url) == 302


def test_office_landing_counts_overdue_reports(application, office_staff, org_applicant):
    agreement = confirmed_agreement(application, office_staff, org_applicant)
    moment = dt.datetime(2026, 3, 9, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        response = logged_in(office_staff).get(reverse("portal:office_landing"))
    (row,) = response.context["applications"]
    assert row.overdue_reports == 2  # January's and February's monthly dispatches
    assert row.agreement == agreement


def test_office_landing_costs_a_constant_number_of_queries(parties):
    application, staff, applicant = parties
    office = application.call.office
    confirmed_agreement(application, staff, applicant)

    def add(n):
        for _ in range(n):
            app, _staff, org_user = landing_parties(call=application.call)
            confirmed_agreement(app, staff, org_user)

    client = logged_in(staff)
    url = reverse("portal:office_landing")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    add(3)
    assert len(client.get(url).context["applications"]) == 4
    assert count() == small
    assert office.pk == application.call.office_id


def test_the_office_drafts_the_agreement_and_sees_the_subsidies(application, office_staff):
    client = logged_in(office_staff)
    url = reverse("portal:agreement_edit", args=[application.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, agreement_post())
    assert response.status_code == 302
    agreement = Agreement.objects.get(application=application)
    assert agreement.subsidies["total"] == "2200000.00"
    assert list(agreement.milestones.values_list("title", flat=True)) == ["完成实训车间装修"]
    page = text(client.get(url))
    assert "600000.00" in page and "2200000.00" in page
    response = client.post(reverse("portal:agreement_send", args=[application.pk]))
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.SENT


def test_agreement_edit_is_for_staff_of_the_calls_office_only(
    application, office_staff, org_applicant, outsiders
):
    url = reverse("portal:agreement_edit", args=[application.pk])
    assert status(None, url) == 302
    assert status(None, url, "post", agreement_post()) == 302
    assert status(org_applicant, url) == 403
    assert status(outsiders["stranger"], url) == 403
    assert status(outsiders["director"], url) == 403
    assert status(outsiders["other_staff"], url) == 404
    assert status(outsiders["other_staff"], url, "post", agreement_post()) == 404
    assert not Agreement.objects.exists()


def test_agreement_send_is_a_post_of_the_calls_office(
    application, office_staff, org_applicant, outsiders
):
    drafted_agreement(application, office_staff)
    url = reverse("portal:agreement_send", args=[application.pk])
    assert status(office_staff, url) == 405
    assert status(None, url, "post") == 302
    assert status(org_applicant, url, "post") == 403
    assert status(outsiders["director"], url, "post") == 403
    assert status(outsiders["other_staff"], url, "post") == 404
    assert Agreement.objects.get().state == AgreementState.DRAFT


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"term_years": "2"}, "term_years"),
        ({"term_years": "six"}, "term_years"),
        ({"starts_on": "2026-13-45"}, "starts_on"),
        ({"budget_total": "abc"}, "budget_total"),
        ({"budget_total": "-5"}, "budget_total"),
        ({"budget_total": "1e400"}, "budget_total"),
        ({"funding_self_raised": "1.234"}, "funding_self_raised"),
        ({"fit_out_cost": "-1"}, "fit_out_cost"),
        ({"trainees_year_1": "1.5"}, "trainees_year_1"),
        ({"claims": ["no_such_rule"]}, "claims"),
        ({"targets": None}, "targets"),
        ({"targets": "长" * 20001}, "targets"),
    ],
)
def test_bad_agreement_posts(application, office_staff, overrides, field):
    before = audit_count()
    response = logged_in(office_staff).post(
        reverse("portal:agreement_edit", args=[application.pk]), agreement_post(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Agreement.objects.exists()
    assert audit_count() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"funding_self_raised": "400.00"},  # 700 is not the budget of 800
        {"milestones-0-due_on": "2031-01-01"},  # after the term
        {"milestones-0-title": "", "milestones-0-due_on": ""},  # no milestone at all
        {"term_years": "5", "trainees_year_1": "1", "fit_out_cost": "0"},  # share rule: no cost
    ],
)
def test_agreements_breaking_a_rule_are_refused_with_a_message(
    application, office_staff, overrides
):
    before = audit_count()
    response = logged_in(office_staff).post(
        reverse("portal:agreement_edit", args=[application.pk]), agreement_post(**overrides)
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Agreement.objects.exists()
    assert audit_count() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"milestones-TOTAL_FORMS": None, "milestones-INITIAL_FORMS": None},
        {"milestones-TOTAL_FORMS": "x"},
        {"milestones-0-due_on": "yesterday"},
        {"milestones-0-title": "长" * 201},
        {"milestones-TOTAL_FORMS": "1000"},
    ],
)
def test_bad_milestone_posts(application, office_staff, overrides):
    response = logged_in(office_staff).post(
        reverse("portal:agreement_edit", args=[application.pk]), agreement_post(**overrides)
    )
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.non_form_errors() or any(formset.errors)
    assert not Agreement.objects.exists()


def test_exclusive_rewards_are_refused_with_the_rules_reason(application, office_staff):
    market_recruitment_rule()
    response = logged_in(office_staff).post(
        reverse("portal:agreement_edit", args=[application.pk]),
        agreement_post(claims=["wucheng_training", "market_recruitment"]),
    )
    assert response.status_code == 200
    page = text(response)
    assert "产业人才学院培养奖励" in page and "市场化引才奖励" in page
    assert not Agreement.objects.exists()


def test_a_sent_agreement_cannot_be_changed_through_the_form(application, office_staff):
    sent_agreement(application, office_staff)
    client = logged_in(office_staff)
    url = reverse("portal:agreement_edit", args=[application.pk])
    assert client.get(url).context["editable"] is False
    before = audit_count()
    response = client.post(url, agreement_post(term_years="5"))
    assert response.status_code == 302
    assert Agreement.objects.get().term_years == 3
    assert audit_count() == before


# The organisation's pages -----------------------------------------------------------------


def test_agreement_detail_is_read_by_the_organisation_and_the_office(
    application, office_staff, org_applicant, outsiders
):
    url = reverse("portal:agreement_detail", args=[application.pk])
    drafted_agreement(application, office_staff)
    # A draft is the office's: the organisation reads it once it is sent.
    draft_page = logged_in(org_applicant).get(url)
    assert draft_page.status_code == 200 and draft_page.context["shown"] is False
    assert "2200000.00" not in text(draft_page)
    assert logged_in(office_staff).get(url).context["shown"] is True
    agreement_send_page = logged_in(office_staff).post(
        reverse("portal:agreement_send", args=[application.pk])
    )
    assert agreement_send_page.status_code == 302
    page = logged_in(org_applicant).get(url)
    assert page.context["can_answer"] is True
    assert "600000.00" in text(page) and "2200000.00" in text(page)
    assert logged_in(office_staff).get(url).context["can_answer"] is False
    assert status(outsiders["director"], url) == 200
    assert status(outsiders["stranger"], url) == 404
    assert status(outsiders["other_staff"], url) == 404
    assert status(None, url) == 302


def test_the_organisation_confirms(application, office_staff, org_applicant, outsiders):
    sent_agreement(application, office_staff)
    url = reverse("portal:agreement_confirm", args=[application.pk])
    assert status(org_applicant, url) == 405
    assert status(None, url, "post") == 302
    assert status(office_staff, url, "post") == 403
    assert status(outsiders["other_staff"], url, "post") == 403
    assert status(outsiders["stranger"], url, "post") == 404
    assert Agreement.objects.get().state == AgreementState.SENT
    response = logged_in(org_applicant).post(url)
    assert response.status_code == 302
    assert response.url == reverse("portal:report_list", args=[application.pk])
    application.refresh_from_db()
    assert application.state == ApplicationState.CONSTRUCTING
    assert ProgressReport.objects.count() == 51
    # Twice: a message, not an error page.
    again = logged_in(org_applicant).post(url)
    assert again.status_code == 302
    assert ProgressReport.objects.count() == 51


@pytest.mark.parametrize("reason", ["", "   ", "长" * 2001])
def test_returning_without_a_proper_reason_changes_nothing(
    application, office_staff, org_applicant, reason
):
    sent_agreement(application, office_staff)
    before = audit_count()
    response = logged_in(org_applicant).post(
        reverse("portal:agreement_return", args=[application.pk]), {"reason": reason}
    )
    assert response.status_code == 200
    assert "reason" in response.context["return_form"].errors
    assert Agreement.objects.get().state == AgreementState.SENT
    assert audit_count() == before


def test_the_organisation_returns_with_a_reason(
    application, office_staff, org_applicant, outsiders
):
    sent_agreement(application, office_staff)
    url = reverse("portal:agreement_return", args=[application.pk])
    data = {"reason": "培训人数需调整。"}
    assert status(office_staff, url, "post", data) == 403
    assert status(outsiders["stranger"], url, "post", data) == 404
    assert status(None, url, "post", data) == 302
    assert Agreement.objects.get().state == AgreementState.SENT
    assert status(org_applicant, url, "post", data) == 302
    agreement = Agreement.objects.get()
    assert agreement.state == AgreementState.DRAFT
    assert agreement.return_reason == "培训人数需调整。"
    page = logged_in(office_staff).get(reverse("portal:agreement_edit", args=[application.pk]))
    assert page.context["editable"] is True and "培训人数需调整。" in text(page)


# Reports and milestones --------------------------------------------------------------------


@pytest.fixture
def confirmed(application, office_staff, org_applicant):
    return confirmed_agreement(application, office_staff, org_applicant)


def first_report(agreement) -> ProgressReport:
    return agreement.reports.order_by("due_at", "pk").first()


def test_report_list_highlights_overdue_reports(
    application, confirmed, office_staff, org_applicant, outsiders
):
    url = reverse("portal:report_list", args=[application.pk])
    moment = dt.datetime(2026, 2, 10, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        for user in (org_applicant, office_staff, outsiders["director"]):
            response = logged_in(user).get(url)
            assert response.status_code == 200
            assert response.context["overdue"] == 1
            assert 'class="overdue"' in text(response)
    assert status(outsiders["stranger"], url) == 404
    assert status(outsiders["other_staff"], url) == 404
    assert status(None, url) == 302


def test_the_organisation_submits_a_report(confirmed, office_staff, org_applicant, outsiders):
    report = first_report(confirmed)
    url = reverse("portal:report_submit", args=[report.pk])
    data = {"content": "一月：完成设计招标。"}
    assert logged_in(org_applicant).get(url).context["can_submit"] is True
    assert logged_in(office_staff).get(url).context["can_submit"] is False
    assert status(office_staff, url, "post", data) == 403
    assert status(outsiders["stranger"], url, "post", data) == 404
    assert status(outsiders["other_staff"], url) == 404
    assert status(None, url, "post", data) == 302
    report.refresh_from_db()
    assert report.state == ReportState.DUE
    assert status(org_applicant, url, "post", data) == 302
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert "一月：完成设计招标。" in text(logged_in(office_staff).get(url))


@pytest.mark.parametrize("content", ["", "   ", "长" * 20001])
def test_bad_report_posts_change_nothing(confirmed, org_applicant, content):
    report = first_report(confirmed)
    before = audit_count()
    response = logged_in(org_applicant).post(
        reverse("portal:report_submit", args=[report.pk]), {"content": content}
    )
    assert response.status_code == 200
    assert "content" in response.context["form"].errors
    report.refresh_from_db()
    assert report.state == ReportState.DUE
    assert audit_count() == before


def test_the_organisation_records_a_milestone(confirmed, office_staff, org_applicant, outsiders):
    milestone = confirmed.milestones.order_by("due_on").first()
    url = reverse("portal:milestone_done", args=[milestone.pk])
    data = {f"m{milestone.pk}-done_on": "2026-06-01"}
    assert status(org_applicant, url) == 405
    assert status(office_staff, url, "post", data) == 403
    assert status(outsiders["stranger"], url, "post", data) == 404
    assert status(None, url, "post", data) == 302
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    assert status(org_applicant, url, "post", data) == 302
    assert Milestone.objects.get(pk=milestone.pk).done_on == dt.date(2026, 6, 1)


@pytest.mark.parametrize("done_on", ["", "2026-02-30", "soon", "2099-01-01", "2020-01-01"])
def test_bad_milestone_dates_change_nothing(confirmed, org_applicant, done_on):
    milestone = confirmed.milestones.order_by("due_on").first()
    before = audit_count()
    response = logged_in(org_applicant).post(
        reverse("portal:milestone_done", args=[milestone.pk]),
        {f"m{milestone.pk}-done_on": done_on},
    )
    assert response.status_code == 200
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    assert audit_count() == before


def test_the_draft_form_shows_its_milestones_and_deletes_one(application, office_staff):
    drafted_agreement(application, office_staff)
    client = logged_in(office_staff)
    url = reverse("portal:agreement_edit", args=[application.pk])
    formset = client.get(url).context["formset"]
    assert [f.initial["title"] for f in formset.initial_forms] == [
        "完成实训车间装修",
        "设备安装调试",
    ]
    data = agreement_post(
        **{
            "milestones-TOTAL_FORMS": "3",
            "milestones-INITIAL_FORMS": "2",
            "milestones-1-title": "设备安装调试",
            "milestones-1-due_on": "2027-06-30",
            "milestones-1-DELETE": "on",
            "milestones-2-title": "",
            "milestones-2-due_on": "",
        }
    )
    assert client.post(url, data).status_code == 302
    assert list(Milestone.objects.values_list("title", flat=True)) == ["完成实训车间装修"]


def test_the_landing_admin_is_read_only(confirmed):
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in ("agreement", "milestone", "progressreport"):
        assert client.get(reverse(f"admin:workflow_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:workflow_{model}_add")).status_code == 403
    page = client.get(reverse("admin:workflow_agreement_change", args=[confirmed.pk]))
    assert page.status_code == 200
    assert b'name="state"' not in page.content and b'name="targets"' not in page.content
    report = first_report(confirmed)
    response = client.post(
        reverse("admin:workflow_progressreport_delete", args=[report.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert ProgressReport.objects.filter(pk=report.pk).exists()
