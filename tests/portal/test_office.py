"""Office staff: the queue, the formal check, their calls and the call-level decisions."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import CallFactory, complete_application, member, published_call
from tests.portal.helpers import audit_count, logged_in, text
from workflow.choices import ApplicationState, CallState, FormalCheckOutcome, Role
from workflow.models import FormalCheck

pytestmark = pytest.mark.django_db


def check(client, application, outcome, reason=""):
    return client.post(
        reverse("portal:office_formal_check", args=[application.pk]),
        {"check-outcome": outcome, "check-reason": reason},
    )


def test_queue_shows_submitted_applications_of_own_office(staff_client, submitted, draft):
    response = staff_client.get(reverse("portal:office_queue"))
    assert response.status_code == 200
    assert list(response.context["applications"]) == [submitted]
    assert submitted.organisation.name in text(response)


def test_queue_hides_drafts(staff_client, call):
    complete_application(call=call)
    response = staff_client.get(reverse("portal:office_queue") + "?state=all")
    assert list(response.context["applications"]) == []


def test_queue_filters_by_state_and_call(staff_client, submitted, staff, office):
    from workflow.services.applications import application_accept

    other_call = published_call(office=office)
    other = complete_application(call=other_call)
    applicant = member(Role.APPLICANT, other.organisation)
    from workflow.services.applications import application_submit

    application_submit(application=other, by=applicant)
    application_accept(application=submitted, by=staff)

    url = reverse("portal:office_queue")
    assert list(staff_client.get(url).context["applications"]) == [other]
    accepted = staff_client.get(url, {"state": "accepted"}).context["applications"]
    assert list(accepted) == [submitted]
    by_call = staff_client.get(url, {"state": "all", "call": other_call.pk})
    assert list(by_call.context["applications"]) == [other]


def test_application_detail_shows_content_attachments_and_history(staff_client, submitted):
    response = staff_client.get(reverse("portal:office_application_detail", args=[submitted.pk]))
    body = text(response)
    assert response.status_code == 200
    assert submitted.plan in body
    for attachment in submitted.attachments.all():
        assert attachment.original_name in body
        assert reverse("portal:attachment_download", args=[submitted.pk, attachment.pk]) in body
    history = list(response.context["history"])
    assert [e.action for e in history] == ["application.submit"]
    assert "Submitted" in body


def test_staff_downloads_an_attachment_of_a_submitted_application(staff_client, submitted):
    attachment = submitted.attachments.first()
    response = staff_client.get(
        reverse("portal:attachment_download", args=[submitted.pk, attachment.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_pass(staff_client, submitted):
    response = check(staff_client, submitted, FormalCheckOutcome.PASSED)
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.ACCEPTED
    assert FormalCheck.objects.get(application=submitted).outcome == FormalCheckOutcome.PASSED


def test_return_with_reason(staff_client, submitted):
    response = check(staff_client, submitted, FormalCheckOutcome.RETURNED, "请补充盖章页。")
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.RETURNED
    assert submitted.correction_due is not None
    record = FormalCheck.objects.get(application=submitted)
    assert (record.outcome, record.reason) == (FormalCheckOutcome.RETURNED, "请补充盖章页。")


def test_reject_with_reason(staff_client, submitted):
    response = check(staff_client, submitted, FormalCheckOutcome.REJECTED, "不符合申报条件。")
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.REJECTED
    assert FormalCheck.objects.get(application=submitted).reason == "不符合申报条件。"


@pytest.mark.parametrize("outcome", [FormalCheckOutcome.RETURNED, FormalCheckOutcome.REJECTED])
@pytest.mark.parametrize("reason", ["", "   "])
def test_return_or_reject_without_reason_is_a_form_error(staff_client, submitted, outcome, reason):
    before = audit_count()
    response = check(staff_client, submitted, outcome, reason)
    assert response.status_code == 200
    assert "Give the reason for returning or rejecting." in text(response)
    assert response.context["check_form"].errors["reason"]
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED
    assert not FormalCheck.objects.exists()
    assert audit_count() == before


def test_checking_twice_is_a_clear_conflict(staff_client, submitted):
    check(staff_client, submitted, FormalCheckOutcome.PASSED)
    response = staff_client.post(
        reverse("portal:office_formal_check", args=[submitted.pk]),
        {"check-outcome": FormalCheckOutcome.REJECTED, "check-reason": "迟到的决定"},
        follow=True,
    )
    assert response.status_code == 200
    assert "reload the page" in text(response)
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.ACCEPTED
    assert FormalCheck.objects.count() == 1


def test_director_sees_the_queue_but_may_not_check(submitted, office):
    director = logged_in(member(Role.OFFICE_DIRECTOR, office))
    assert list(director.get(reverse("portal:office_queue")).context["applications"]) == [submitted]
    response = director.post(
        reverse("portal:office_formal_check", args=[submitted.pk]),
        {"check-outcome": FormalCheckOutcome.PASSED},
        follow=True,
    )
    assert "Only staff of the office" in text(response)
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


# Calls -------------------------------------------------------------------------------------


def test_call_list_shows_own_office_calls_including_drafts(staff_client, call, office):
    draft = CallFactory(office=office, title="待发布的榜单")
    foreign = published_call(title="其他办公室的榜单")
    response = staff_client.get(reverse("portal:office_call_list"))
    assert response.status_code == 200
    assert set(response.context["calls"]) == {call, draft}
    assert foreign.title not in text(response)


def test_publish_a_draft_call(staff_client, office):
    draft = CallFactory(office=office)
    response = staff_client.post(
        reverse("portal:office_call_action", args=[draft.pk, "publish"]), follow=True
    )
    assert "The call is published." in text(response)
    draft.refresh_from_db()
    assert draft.state == CallState.PUBLISHED
    assert draft.published_at is not None


def test_publish_refusal_lists_the_problems(staff_client, office):
    draft = CallFactory(office=office, functions=[], quota=0)
    response = staff_client.post(
        reverse("portal:office_call_action", args=[draft.pk, "publish"]), follow=True
    )
    body = text(response)
    assert "The call cannot be published yet." in body
    assert "The quota must be at least 1." in body
    draft.refresh_from_db()
    assert draft.state == CallState.DRAFT


def test_close_before_the_window_ends_is_refused(staff_client, call):
    response = staff_client.post(
        reverse("portal:office_call_action", args=[call.pk, "close"]), follow=True
    )
    assert "The application window has not ended yet." in text(response)
    call.refresh_from_db()
    assert call.state == CallState.PUBLISHED


def test_close_after_the_window(office, staff):
    call = published_call(office=office, closes_at=timezone.now() + dt.timedelta(hours=1))
    client = logged_in(staff)
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=1), tick=False):
        client.post(reverse("portal:office_call_action", args=[call.pk, "close"]))
        call.refresh_from_db()
        assert call.state == CallState.CLOSED
        detail = client.get(reverse("portal:office_call_detail", args=[call.pk]))
    assert [name for name, _ in detail.context["actions"]] == ["start_review"]


def test_cancel_needs_a_reason(staff_client, call):
    url = reverse("portal:office_call_action", args=[call.pk, "cancel"])
    response = staff_client.post(url, {"cancel-reason": "  "})
    assert response.status_code == 200
    assert response.context["cancel_form"].errors["reason"]
    call.refresh_from_db()
    assert call.state == CallState.PUBLISHED

    staff_client.post(url, {"cancel-reason": "规划调整，本榜单撤销。"})
    call.refresh_from_db()
    assert call.state == CallState.CANCELLED


def test_unknown_call_action_is_404(staff_client, call):
    url = reverse("portal:office_call_action", args=[call.pk, "delete_everything"])
    assert staff_client.post(url).status_code == 404


def test_call_detail_lists_its_applications(staff_client, call, submitted):
    response = staff_client.get(reverse("portal:office_call_detail", args=[call.pk]))
    assert response.status_code == 200
    assert list(response.context["applications"]) == [submitted]
