"""Issue 6: the applicant's status timeline, with the reasons, and nothing of the review."""

import pytest
from django.urls import reverse

from tests.factories import AssignmentFactory, member, review_call, submit_at
from tests.portal.helpers import logged_in, text
from workflow.choices import Role
from workflow.models import AuditEvent
from workflow.selectors.timeline import application_timeline
from workflow.services.applications import (
    application_finish_review,
    application_not_select,
    application_return,
    application_submit,
)

pytestmark = pytest.mark.django_db

RETURN_REASON = "缺少项目可行性研究报告的盖章页"


@pytest.fixture
def resubmitted(draft, applicant, staff):
    application_submit(application=draft, by=applicant)
    application_return(application=draft, by=staff, reason=RETURN_REASON)
    draft.refresh_from_db()
    application_submit(application=draft, by=applicant)
    draft.refresh_from_db()
    return draft


def test_submit_return_resubmit_in_order_with_reason(applicant_client, resubmitted, staff):
    response = applicant_client.get(reverse("portal:application_detail", args=[resubmitted.pk]))
    assert response.status_code == 200
    steps = [e.action for e in response.context["timeline"]]
    assert steps == [
        "application.submit",
        "application.return_for_correction",
        "application.submit",
    ]
    page = text(response)
    timeline = page[page.index('id="timeline-heading"') :]
    first = timeline.index("Submitted")
    returned = timeline.index("Returned for correction")
    second = timeline.index("Submitted", returned)
    assert first < returned < second
    assert timeline.index(RETURN_REASON) < second
    # The office is named by its role, never by the person.
    assert "Office staff" in timeline or "办公室工作人员" in timeline
    assert staff.get_username() not in page


def test_timeline_is_one_bounded_query(resubmitted, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        timeline = application_timeline(resubmitted)
    assert len(timeline) == 3
    assert "LIMIT" in captured.captured_queries[0]["sql"].upper()


def test_other_organisation_gets_404(stranger_client, resubmitted):
    response = stranger_client.get(reverse("portal:application_detail", args=[resubmitted.pk]))
    assert response.status_code == 404


def test_no_expert_name_or_score_after_review():
    _call, staff, (application,) = review_call(applications=1)
    applicant = member(Role.APPLICANT, application.organisation)
    sheet = AssignmentFactory(application=application)
    submit_at(sheet, "0.8")
    sheet.refresh_from_db()
    application_finish_review(application=application, by=staff)
    application.refresh_from_db()
    application_not_select(application=application, by=staff, reason="综合排名未进入前列")
    assert AuditEvent.objects.filter(action="assignment.submit").exists()

    response = logged_in(applicant).get(reverse("portal:application_detail", args=[application.pk]))
    assert response.status_code == 200
    assert [e.action for e in response.context["timeline"]] == [
        "application.finish_review",
        "application.not_select",
    ]
    page = text(response)
    assert "综合排名未进入前列" in page
    assert sheet.expert.name not in page
    assert sheet.expert.user.get_username() not in page
    assert staff.get_username() not in page
    assert sheet.total is not None and str(sheet.total) not in page
    assert "Score sheet submitted" not in page
