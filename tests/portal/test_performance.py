"""绩效评价 pages: office list and opening a year, the review page's forms, revocation and the
public results; permission refusals and malformed posts through HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import OrganisationFactory, member
from tests.factories_aftercare import INDICATORS, awarded_project, open_review, published_review
from tests.portal.helpers import audit_count, logged_in, text
from workflow.choices import ApplicationState, PerformanceGrade, Role
from workflow.models import PerformanceReview
from workflow.models.award import AwardState
from workflow.models.performance import PerformanceReviewState as S

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1
LIST = reverse("portal:office_performance_list")
RESULTS = reverse("portal:performance_results")


def detail_url(review) -> str:
    return reverse("portal:performance_detail", args=[review.pk])


def self_report(**overrides) -> dict:
    data = {f"indicator_{k}": str(v) for k, v in INDICATORS.items()}
    data["self_assessment"] = "全年完成实训任务。"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_office_opens_a_year_and_the_whole_cycle_runs_over_http():
    base = awarded_project()
    staff = logged_in(base.staff)
    page = staff.get(LIST)
    assert page.status_code == 200
    assert reverse("portal:performance_open") in text(page)
    due_on = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = staff.post(
        reverse("portal:performance_open"),
        {"office": base.office.pk, "year": LAST_YEAR, "due_on": due_on},
    )
    assert response.status_code == 302
    review = PerformanceReview.objects.get(award=base.award, year=LAST_YEAR)
    assert detail_url(review) in text(staff.get(LIST))

    applicant = logged_in(base.applicant)
    page = applicant.get(detail_url(review))
    assert reverse("portal:performance_submit", args=[review.pk]) in text(page)
    response = applicant.post(reverse("portal:performance_submit", args=[review.pk]), self_report())
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == S.SUBMITTED

    response = staff.post(
        reverse("portal:performance_evaluate", args=[review.pk]),
        {"grade": "fail", "findings": "实训人数未达标。", "evaluator": "", "rectification_due": ""},
    )
    assert response.status_code == 302
    response = staff.post(reverse("portal:performance_publish", args=[review.pk]))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == S.PUBLISHED and review.failed
    response = staff.post(
        reverse("portal:performance_verify", args=[review.pk]), {"note": "现场核查已整改。"}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.rectified_at is not None
    results = Client().get(RESULTS)
    assert results.status_code == 200
    assert base.award.number in text(results)


def test_fail_twice_then_revoke_shows_on_public_results():
    base = awarded_project()
    published_review(base, LAST_YEAR - 1, PerformanceGrade.FAIL)
    review = published_review(base, LAST_YEAR, PerformanceGrade.FAIL)
    staff = logged_in(base.staff)
    revoke = reverse("portal:plaque_revoke", args=[base.award.pk])
    assert revoke in text(staff.get(LIST))
    assert revoke in text(staff.get(detail_url(review)))
    # A supervisor reads the review but cannot revoke.
    supervisor = logged_in(member(Role.SUPERVISOR, base.office))
    assert supervisor.get(detail_url(review)).status_code == 200
    assert revoke not in text(supervisor.get(detail_url(review)))
    assert supervisor.post(revoke, {"reason": "x"}).status_code == 403
    response = staff.post(revoke, {"reason": "连续两年绩效评价不合格，撤销授牌。"})
    assert response.status_code == 302
    base.award.refresh_from_db()
    base.application.refresh_from_db()
    assert base.award.state == AwardState.REVOKED
    assert base.application.state == ApplicationState.REVOKED
    page = text(Client().get(RESULTS))
    assert "连续两年绩效评价不合格，撤销授牌。" in page
    assert base.award.number in page


def test_revoke_refused_after_a_single_fail():
    base = awarded_project()
    published_review(base, LAST_YEAR, PerformanceGrade.FAIL)
    staff = logged_in(base.staff)
    revoke = reverse("portal:plaque_revoke", args=[base.award.pk])
    assert revoke not in text(staff.get(LIST))
    before = audit_count()
    response = staff.post(revoke, {"reason": "不合格"}, follow=True)
    assert "two consecutive" in text(response)
    base.award.refresh_from_db()
    assert base.award.state == AwardState.ACTIVE
    assert audit_count() == before


def test_results_by_year():
    base = awarded_project()
    published_review(base, LAST_YEAR - 1, PerformanceGrade.EXCELLENT)
    published_review(base, LAST_YEAR, PerformanceGrade.GOOD)
    client = logged_in(member(Role.APPLICANT, OrganisationFactory()))
    latest = text(client.get(RESULTS))
    assert "Good" in latest and "Excellent" not in latest
    earlier = text(client.get(RESULTS, {"year": LAST_YEAR - 1}))
    assert "Excellent" in earlier
    assert client.get(RESULTS, {"year": "abc"}).status_code == 200


def test_permissions():
    base = awarded_project()
    review = open_review(base, LAST_YEAR)
    other = awarded_project()
    gets = [LIST, detail_url(review)]
    posts = [
        reverse("portal:performance_open"),
        reverse("portal:performance_submit", args=[review.pk]),
        reverse("portal:performance_evaluate", args=[review.pk]),
        reverse("portal:performance_publish", args=[review.pk]),
        reverse("portal:performance_verify", args=[review.pk]),
        reverse("portal:plaque_revoke", args=[base.award.pk]),
    ]
    anonymous = Client()
    for url in gets + posts:
        response = anonymous.post(url) if url in posts else anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    stranger = logged_in(other.applicant)
    assert stranger.get(LIST).status_code == 403
    assert stranger.get(detail_url(review)).status_code == 404
    assert stranger.post(posts[1], self_report()).status_code == 404
    other_staff = logged_in(other.staff)
    assert other_staff.get(detail_url(review)).status_code == 404
    for url in posts[2:]:
        assert other_staff.post(url, {"reason": "x", "note": "x"}).status_code == 404, url
    # Wrong role on a visible review: the applicant cannot evaluate, staff cannot self-report.
    applicant = logged_in(base.applicant)
    assert applicant.post(posts[2], {"grade": "good"}).status_code == 403
    staff = logged_in(base.staff)
    assert staff.post(posts[1], self_report()).status_code == 403
    director = logged_in(member(Role.OFFICE_DIRECTOR, base.office))
    assert director.get(LIST).status_code == 200
    assert director.post(posts[0], {"office": base.office.pk}).status_code == 403
    review.refresh_from_db()
    assert review.state == S.SELF_REPORT


@pytest.mark.parametrize(
    "overrides",
    [
        {"indicator_trainees": "-1"},
        {"indicator_trainees": "abc"},
        {"indicator_trainees": "1.5"},
        {"indicator_projects": None},
        {"indicator_certificates": "99999999999"},
        {"self_assessment": "  "},
    ],
)
def test_malformed_self_report_changes_nothing(overrides):
    base = awarded_project()
    review = open_review(base, LAST_YEAR)
    before = audit_count()
    response = logged_in(base.applicant).post(
        reverse("portal:performance_submit", args=[review.pk]), self_report(**overrides)
    )
    assert response.status_code == 200
    assert response.context["submit_form"].errors
    assert "Please correct" in text(response)
    review.refresh_from_db()
    assert review.state == S.SELF_REPORT
    assert audit_count() == before


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"grade": "splendid"},
        {"grade": "fail", "findings": ""},
        {"grade": "fail", "findings": "差", "rectification_due": "not-a-date"},
        {"grade": "fail", "findings": "差", "rectification_due": "2001-01-01"},
    ],
)
def test_malformed_evaluation_changes_nothing(data):
    base = awarded_project()
    review = open_review(base, LAST_YEAR)
    logged_in(base.applicant).post(
        reverse("portal:performance_submit", args=[review.pk]), self_report()
    )
    before = audit_count()
    response = logged_in(base.staff).post(
        reverse("portal:performance_evaluate", args=[review.pk]), data
    )
    assert response.status_code == 200
    assert response.context["evaluate_form"].errors
    review.refresh_from_db()
    assert review.state == S.SUBMITTED
    assert audit_count() == before


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"year": "abc", "due_on": "2099-01-01"},
        {"year": "1999", "due_on": "2099-01-01"},
        {"year": str(LAST_YEAR), "due_on": "2001-01-01"},
        {"year": str(LAST_YEAR), "due_on": "x"},
    ],
)
def test_malformed_open_changes_nothing(data):
    base = awarded_project()
    data = {"office": base.office.pk, **data}
    response = logged_in(base.staff).post(reverse("portal:performance_open"), data)
    assert response.status_code == 200
    assert response.context["open_form"].errors
    assert not PerformanceReview.objects.exists()


def test_open_for_another_office_is_refused():
    base = awarded_project()
    other = awarded_project()
    response = logged_in(base.staff).post(
        reverse("portal:performance_open"),
        {"office": other.office.pk, "year": LAST_YEAR, "due_on": "2099-01-01"},
    )
    assert response.status_code == 200
    assert "office" in response.context["open_form"].errors
    assert not PerformanceReview.objects.exists()


def test_malformed_revoke_and_publish_twice():
    base = awarded_project()
    published_review(base, LAST_YEAR - 1, PerformanceGrade.FAIL)
    review = published_review(base, LAST_YEAR, PerformanceGrade.FAIL)
    staff = logged_in(base.staff)
    response = staff.post(reverse("portal:plaque_revoke", args=[base.award.pk]), {}, follow=True)
    assert "reason" in text(response)
    base.award.refresh_from_db()
    assert base.award.state == AwardState.ACTIVE
    response = staff.post(reverse("portal:performance_publish", args=[review.pk]), follow=True)
    assert response.status_code == 200
    assert "cannot be done" in text(response)
