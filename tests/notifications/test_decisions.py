"""Who is told what: each decision names its kind and recipients once, inside its transaction,
and its messages leave after commit (counted from the captured on-commit callbacks)."""

import datetime as dt

import pytest
from django.core import mail

from notifications.kinds import Kind
from notifications.models import Notification
from notifications.recipients import office_staff_of
from tests.factories import (
    OrganisationFactory,
    call_under_review,
    complete_application,
    expert_pool,
    force_state,
    member,
)
from workflow.choices import ApplicationState, CallState, DrawMode, InvitationState, Role
from workflow.services import applications as apps
from workflow.services import calls
from workflow.services import review as svc

pytestmark = pytest.mark.django_db


def told(kind) -> dict[int, str]:
    return dict(Notification.objects.filter(kind=kind).values_list("recipient_id", "text"))


@pytest.fixture
def setting(db):
    application = complete_application()
    applicants = [member(Role.APPLICANT, application.organisation) for _ in range(2)]
    staff = member(Role.OFFICE_STAFF, application.call.office)
    member(Role.OFFICE_DIRECTOR, application.call.office)  # not told of submissions
    member(Role.APPLICANT, OrganisationFactory())  # another organisation: never told
    return application, applicants, staff


def test_a_submission_tells_the_applicant_organisation_and_the_office(
    setting, django_capture_on_commit_callbacks
):
    application, applicants, staff = setting
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        apps.application_submit(application=application, by=applicants[0])
    assert len(callbacks) == 2  # one delivery per notify() call
    assert set(told(Kind.APPLICATION_SUBMITTED)) == {u.pk for u in applicants}
    office = told(Kind.OFFICE_APPLICATION_SUBMITTED)
    assert set(office) == set(office_staff_of(application.call.office_id))
    assert staff.pk in office and application.organisation.name in office[staff.pk]
    assert Notification.objects.count() == 2 + len(office)
    assert Notification.objects.filter(delivered_at__isnull=True).count() == 0


def test_a_return_tells_the_reason_and_the_deadline_and_a_resubmission_tells_the_office(setting):
    application, applicants, staff = setting
    apps.application_submit(application=application, by=applicants[0])
    apps.application_return(application=application, by=staff, reason="缺少法人证书盖章页")
    returned = told(Kind.APPLICATION_RETURNED)
    assert set(returned) == {u.pk for u in applicants}
    text = returned[applicants[0].pk]
    assert "缺少法人证书盖章页" in text
    note = Notification.objects.filter(kind=Kind.APPLICATION_RETURNED).first()
    application.refresh_from_db()
    assert dt.datetime.fromisoformat(note.payload["due"]) == application.correction_due
    assert note.url == f"/applications/{application.pk}/"

    apps.application_submit(application=application, by=applicants[1])
    assert set(told(Kind.APPLICATION_RESUBMITTED)) == {u.pk for u in applicants}
    assert set(told(Kind.OFFICE_APPLICATION_RESUBMITTED)) == set(
        office_staff_of(application.call.office_id)
    )
    office_note = Notification.objects.filter(kind=Kind.OFFICE_APPLICATION_RESUBMITTED).first()
    assert office_note.url == f"/office/applications/{application.pk}/"


@pytest.mark.parametrize(
    ("decide", "kind", "reason"),
    [
        (apps.application_accept, Kind.APPLICATION_ACCEPTED, ""),
        (apps.application_reject, Kind.APPLICATION_REJECTED, "不符合申报主体条件"),
    ],
)
def test_formal_check_outcomes_reach_the_applicant(setting, decide, kind, reason):
    application, applicants, staff = setting
    apps.application_submit(application=application, by=applicants[0])
    decide(application=application, by=staff, reason=reason)
    texts = told(kind)
    assert set(texts) == {u.pk for u in applicants}
    assert reason in texts[applicants[0].pk]


def test_a_withdrawal_reaches_the_applicant(setting):
    application, applicants, _staff = setting
    apps.application_submit(application=application, by=applicants[0])
    apps.application_withdraw(application=application, by=applicants[0], reason="")
    assert set(told(Kind.APPLICATION_WITHDRAWN)) == {u.pk for u in applicants}


def test_every_later_step_reaches_the_applicant(setting):
    application, applicants, staff = setting
    director = member(Role.OFFICE_DIRECTOR, application.call.office)
    force_state(application, ApplicationState.ACCEPTED)
    force_state(application.call, CallState.UNDER_REVIEW)
    apps.application_start_review(application=application, by=staff)
    apps.application_finish_review(application=application, by=staff)
    apps.application_shortlist(application=application, by=staff)
    force_state(application.call, CallState.PUBLICITY)
    apps.application_not_approve(application=application, by=director, reason="公示期异议成立")
    kinds = list(
        Notification.objects.filter(recipient=applicants[0])
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        Kind.APPLICATION_REVIEW_STARTED,
        Kind.APPLICATION_REVIEW_FINISHED,
        Kind.APPLICATION_SHORTLISTED,
        Kind.APPLICATION_NOT_APPROVED,
    ]
    assert "公示期异议成立" in told(Kind.APPLICATION_NOT_APPROVED)[applicants[0].pk]


def test_cancelling_a_call_tells_the_organisations_that_applied(setting):
    application, applicants, staff = setting
    calls.call_cancel(call=application.call, by=staff, reason="政策调整")
    assert set(told(Kind.CALL_CANCELLED)) == {u.pk for u in applicants}


def panel(n_experts=12, alternates=2):
    call, _applications, staff = call_under_review(2)
    experts = expert_pool(n_experts)
    draw = svc.draw_configure(call=call, by=staff, mode=DrawMode.PANEL, alternates=alternates)
    draw = svc.draw_perform(draw=draw, by=staff)
    return draw, staff, {e.pk: e for e in experts}


def invited(draw):
    return list(draw.invitations.filter(state=InvitationState.INVITED).select_related("expert"))


def test_a_draw_invites_the_drawn_experts_only(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        draw, _staff, _experts = panel()
    members = {i.expert.user_id for i in invited(draw)}
    assert len(members) == 5
    assert set(told(Kind.EXPERT_INVITED)) == members  # alternates in reserve are not told yet
    assert Notification.objects.filter(kind=Kind.EXPERT_INVITED).first().url == (
        "/expert/invitations/"
    )


def test_a_decline_tells_the_office_and_invites_the_alternate():
    draw, staff, _experts = panel()
    first = invited(draw)[0]
    svc.invitation_decline(invitation=first, by=first.expert.user, reason="出差在外")
    office = told(Kind.OFFICE_INVITATION_DECLINED)
    assert set(office) == {u for u in _office_staff(draw)}
    assert first.expert.name in office[staff.pk] and "出差在外" in office[staff.pk]
    promoted = draw.invitations.get(state=InvitationState.INVITED, is_alternate=True)
    assert promoted.expert.user_id in told(Kind.EXPERT_INVITED)


def _office_staff(draw):
    return office_staff_of(draw.call.office_id)


def test_a_conflict_tells_the_other_party():
    draw, staff, _experts = panel()
    by_expert, by_office = invited(draw)[:2]
    svc.invitation_withdraw_for_conflict(
        invitation=by_expert, by=by_expert.expert.user, reason="曾在申报单位任职"
    )
    assert set(told(Kind.OFFICE_EXPERT_CONFLICT)) == set(_office_staff(draw))
    svc.invitation_withdraw_for_conflict(invitation=by_office, by=staff, reason="近亲属任职")
    assert set(told(Kind.EXPERT_WITHDRAWN)) == {by_office.expert.user_id}


def test_no_alternate_left_tells_the_office():
    draw, _staff, _experts = panel(n_experts=5, alternates=0)
    first = invited(draw)[0]
    svc.invitation_decline(invitation=first, by=first.expert.user, reason="身体原因")
    assert set(told(Kind.OFFICE_DRAW_SHORT)) == set(_office_staff(draw))


def test_messages_are_emailed_after_commit_to_users_who_want_email(
    setting, django_capture_on_commit_callbacks
):
    application, applicants, _staff = setting
    applicants[0].email = "zhang@example.cn"
    applicants[0].save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        apps.application_submit(application=application, by=applicants[0])
    assert mail.outbox == []  # nothing leaves before commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["zhang@example.cn"]]
