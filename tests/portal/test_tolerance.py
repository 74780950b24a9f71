"""容错纠错 pages: request, decision on cited audit events, correction and verification through
HTTP; who may read and who may act; malformed posts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import member
from tests.factories_aftercare import audit_event_about, project, tolerance_requested
from tests.portal.helpers import audit_count, logged_in, text
from workflow.choices import ApplicationState, Role
from workflow.models import AuditEvent, ToleranceCase
from workflow.models.tolerance import ToleranceCaseState as S
from workflow.services.tolerance import evidence_events

pytestmark = pytest.mark.django_db

LIST = reverse("portal:tolerance_list")


def url(name: str, case) -> str:
    return reverse(f"portal:{name}", args=[case.pk])


def decide_data(case, **overrides) -> dict:
    data = {
        "exploratory": "yes",
        "procedures_followed": "yes",
        "no_personal_gain": "yes",
        "proactive_correction": "no",
        "evidence": [str(pk) for pk in evidence_events(case).values_list("pk", flat=True)],
        "decision": "reduced",
        "decision_reason": "属探索性试验中的失误，无谋取私利。",
        "correction_plan": "三个月内补齐实训设备。",
        "correction_due": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_from_request_to_verified_correction_over_http():
    made = project(ApplicationState.AWARDED)
    applicant = logged_in(made.applicant)
    request_url = reverse("portal:tolerance_request", args=[made.application.pk])
    assert request_url in text(applicant.get(LIST))
    assert applicant.get(request_url).status_code == 200
    response = applicant.post(
        request_url, {"shortfall": "年度实训人数目标完成60%。", "reasons": "设备交付延迟。"}
    )
    assert response.status_code == 302
    case = ToleranceCase.objects.get(application=made.application)
    assert request_url not in text(applicant.get(LIST))  # one open case at a time

    staff = logged_in(made.staff)
    assert url("tolerance_detail", case) in text(staff.get(LIST))
    page = staff.get(url("tolerance_detail", case))
    assert url("tolerance_decide", case) in text(page)
    earlier = audit_event_about(made.application)
    data = decide_data(case)
    data["evidence"].append(str(earlier.pk))
    response = staff.post(url("tolerance_decide", case), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == S.CORRECTING and case.decision == "reduced"
    page = text(applicant.get(url("tolerance_detail", case)))
    assert f"#{earlier.sequence}" in page
    assert "三个月内补齐实训设备。" in page
    assert url("tolerance_correction", case) in page

    applicant.post(url("tolerance_correction", case), {"report": "已补齐部分设备。"})
    staff.post(url("tolerance_verify", case), {"accepted": "no", "note": "培训任务尚未完成。"})
    case.refresh_from_db()
    assert case.state == S.CORRECTING
    assert "培训任务尚未完成。" in text(applicant.get(url("tolerance_detail", case)))
    applicant.post(url("tolerance_correction", case), {"report": "已完成全部培训任务。"})
    response = staff.post(url("tolerance_verify", case), {"accepted": "yes", "note": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == S.CLOSED


def test_evidence_from_another_application_is_refused_with_a_message():
    made, case = tolerance_requested()
    other, _other_case = tolerance_requested()
    foreign = audit_event_about(other.application)
    data = decide_data(case)
    data["evidence"].append(str(foreign.pk))
    before = audit_count()
    response = logged_in(made.staff).post(url("tolerance_decide", case), data)
    assert response.status_code == 200
    assert f"#{foreign.sequence}" in text(response)
    assert "not about this project" in text(response)
    case.refresh_from_db()
    assert case.state == S.REQUESTED
    assert audit_count() == before


def test_disallowed_decision_is_refused_citing_the_policy():
    made, case = tolerance_requested()
    data = decide_data(case, decision="exempt")  # proactive_correction is "no"
    response = logged_in(made.staff).post(url("tolerance_decide", case), data)
    assert response.status_code == 200
    assert "Exemption from liability" in text(response)
    response = logged_in(made.staff).post(
        url("tolerance_decide", case), decide_data(case, no_personal_gain="no")
    )
    assert "private gain" in text(response)
    case.refresh_from_db()
    assert case.state == S.REQUESTED


def test_supervisor_reads_every_case_but_changes_nothing():
    made, case = tolerance_requested()
    _other, other_case = tolerance_requested()
    supervisor = logged_in(member(Role.SUPERVISOR, made.office))
    listing = text(supervisor.get(LIST))
    assert url("tolerance_detail", case) in listing
    assert url("tolerance_detail", other_case) in listing
    page = supervisor.get(url("tolerance_detail", other_case))
    assert page.status_code == 200
    assert url("tolerance_decide", other_case) not in text(page)
    before = audit_count()
    assert supervisor.post(url("tolerance_decide", case), decide_data(case)).status_code == 403
    assert supervisor.post(url("tolerance_correction", case), {"report": "x"}).status_code == 403
    assert supervisor.post(url("tolerance_verify", case), {"accepted": "yes"}).status_code == 403
    assert (
        supervisor.get(reverse("portal:tolerance_request", args=[made.application.pk])).status_code
        == 403
    )
    assert audit_count() == before


def test_permissions():
    made, case = tolerance_requested()
    other = project()
    detail = url("tolerance_detail", case)
    posts = [url(n, case) for n in ("tolerance_decide", "tolerance_correction", "tolerance_verify")]
    request_url = reverse("portal:tolerance_request", args=[made.application.pk])
    anonymous = Client()
    for target in [LIST, detail, request_url]:
        response = anonymous.get(target)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for target in posts:
        response = anonymous.post(target)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    stranger = logged_in(other.applicant)
    assert detail not in text(stranger.get(LIST))
    assert stranger.get(detail).status_code == 404
    assert stranger.get(request_url).status_code == 404
    assert stranger.post(posts[1], {"report": "x"}).status_code == 404
    other_staff = logged_in(other.staff)
    assert other_staff.get(detail).status_code == 404
    assert other_staff.post(posts[0], decide_data(case)).status_code == 404
    assert detail not in text(other_staff.get(LIST))
    # Visible, but the wrong role for the act.
    applicant = logged_in(made.applicant)
    assert applicant.post(posts[0], decide_data(case)).status_code == 403
    director = logged_in(member(Role.OFFICE_DIRECTOR, made.office))
    assert director.get(detail).status_code == 200
    assert director.post(posts[0], decide_data(case)).status_code == 403
    assert logged_in(made.staff).get(request_url).status_code == 403
    expert = logged_in(member(Role.EXPERT, made.application.organisation))
    assert expert.get(LIST).status_code == 403
    case.refresh_from_db()
    assert case.state == S.REQUESTED


@pytest.mark.parametrize(
    "overrides",
    [
        {"exploratory": None},
        {"exploratory": "maybe"},
        {"evidence": None},
        {"evidence": ["abc"]},
        {"evidence": ["999999999"]},
        {"decision": "pardon"},
        {"decision_reason": ""},
        {"correction_plan": " "},
        {"correction_due": "soon"},
        {"correction_due": "2001-01-01"},
    ],
)
def test_malformed_decision_changes_nothing(overrides):
    made, case = tolerance_requested()
    before = audit_count()
    response = logged_in(made.staff).post(
        url("tolerance_decide", case), decide_data(case, **overrides)
    )
    assert response.status_code == 200
    assert response.context["decide_form"].errors
    case.refresh_from_db()
    assert case.state == S.REQUESTED
    assert audit_count() == before


def test_malformed_request_correction_and_verify_change_nothing():
    made = project()
    applicant = logged_in(made.applicant)
    request_url = reverse("portal:tolerance_request", args=[made.application.pk])
    response = applicant.post(request_url, {"shortfall": "", "reasons": "x" * 20000})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"shortfall", "reasons"}
    assert not ToleranceCase.objects.exists()
    approved = project(ApplicationState.APPROVED)
    response = logged_in(approved.applicant).post(
        reverse("portal:tolerance_request", args=[approved.application.pk]),
        {"shortfall": "x", "reasons": "y"},
    )
    assert response.status_code == 200
    assert "only for a project" in text(response)
    _made, case = tolerance_requested(made)
    logged_in(made.staff).post(url("tolerance_decide", case), decide_data(case))
    before = audit_count()
    response = applicant.post(url("tolerance_correction", case), {"report": ""})
    assert response.status_code == 200
    applicant.post(url("tolerance_correction", case), {"report": "已纠正。"})
    before = audit_count()
    staff = logged_in(made.staff)
    for data in ({}, {"accepted": "perhaps"}, {"accepted": "no", "note": ""}):
        response = staff.post(url("tolerance_verify", case), data)
        assert response.status_code == 200, data
    case.refresh_from_db()
    assert case.state == S.CORRECTED
    assert audit_count() == before


def test_list_query_count_is_constant():
    made, _case = tolerance_requested()
    supervisor = logged_in(member(Role.SUPERVISOR, made.office))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert supervisor.get(LIST).status_code == 200
        return len(ctx)

    few = count()
    for _n in range(4):
        tolerance_requested()
    assert count() == few
    assert AuditEvent.objects.filter(action="tolerancecase.request").count() == 5
