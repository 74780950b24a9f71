"""公示 and 异议: the notice period, which objections are accepted, suspension and answers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from notifications import recipients
from notifications.kinds import Kind
from notifications.models import Notification
from tests.factories import member, pdf_upload
from tests.workflow.publicity_helpers import (
    FACTS,
    NOTICE_START,
    call_in_notice,
    other_office_staff,
    person_objection,
    reviewed_call,
)
from workflow.choices import ApplicationState, CallState, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, Objection
from workflow.models.publicity import ObjectionOutcome, ObjectionState
from workflow.rules.publicity import ObjectorDetails, is_suspended, objection_problems
from workflow.services.applications import application_approve, application_not_approve
from workflow.services.publicity import (
    objection_dismiss,
    objection_file,
    objection_uphold,
    publicity_open,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice():
    with time_machine.travel(NOTICE_START, tick=False):
        yield call_in_notice()


# --- The period ---------------------------------------------------------------------------------


def test_notice_lasts_five_working_days_across_national_day(notice):
    end = timezone.localtime(notice.publicity.ends_at)
    # 10-01..10-07 are holidays, 10-10 (Saturday) is an adjusted working day.
    assert end.date() == dt.date(2026, 10, 13)
    assert (end.hour, end.minute) == (23, 59)
    assert notice.publicity.working_days == 5
    assert notice.call.state == CallState.PUBLICITY
    assert AuditEvent.objects.filter(action="publicity.open").count() == 1
    assert AuditEvent.objects.filter(action="call.start_publicity").count() == 1


def test_opening_twice_is_refused(notice):
    with pytest.raises(Conflict):
        publicity_open(call=notice.call, by=notice.staff)


@pytest.mark.parametrize("who", ["applicant", "other_office", "anonymous"])
def test_only_the_calls_office_opens_the_notice(who):
    notice = reviewed_call()
    user = {
        "applicant": notice.applicant,
        "other_office": other_office_staff(),
        "anonymous": AnonymousUser(),
    }[who]
    with pytest.raises(NotPermitted):
        publicity_open(call=notice.call, by=user)
    notice.call.refresh_from_db()
    assert notice.call.state == CallState.UNDER_REVIEW
    assert not AuditEvent.objects.filter(action="publicity.open").exists()


# --- Which objections are accepted ---------------------------------------------------------------


def test_rules_without_a_database():
    ok = ObjectorDetails(kind="person", person_name="赵六", phone="0351-1234567", facts=FACTS)
    assert objection_problems(ok) == []
    assert objection_problems(ObjectorDetails(kind="", facts=FACTS))
    assert objection_problems(
        ObjectorDetails(kind="person", person_name="赵六", phone="abc", facts=FACTS)
    )


def test_anyone_may_object_in_writing_and_the_office_is_told(
    notice, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(NOTICE_START + dt.timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        objection = person_objection(notice.winner, by=AnonymousUser())
    assert objection.state == ObjectionState.RECEIVED
    assert objection.filed_by is None
    # Received 10-01 (a holiday): 3 working days are 10-08, 10-09, 10-10.
    assert timezone.localtime(objection.answer_due).date() == dt.date(2026, 10, 10)
    notes = Notification.objects.filter(kind=Kind.OFFICE_OBJECTION_RECEIVED)
    staff = recipients.office_staff_of(notice.call.office_id)
    assert notice.staff.pk in staff
    assert sorted(notes.values_list("recipient_id", flat=True)) == staff
    assert AuditEvent.objects.filter(action="objection.file").count() == 1


def test_an_organisation_objects_with_its_sealed_letter(notice):
    with time_machine.travel(NOTICE_START, tick=False):
        objection = objection_file(
            application=notice.winner,
            by=None,
            objector_kind="organisation",
            organisation_name="某某职业学院",
            letter=pdf_upload("异议函.pdf"),
            facts=FACTS,
        )
    assert objection.letter.name.startswith(f"objections/{notice.publicity.pk}/")
    assert objection.letter_name == "异议函.pdf"
    assert len(objection.letter_sha256) == 64
    objection.letter.delete(save=False)


REFUSED = {
    "anonymous": {"person_name": "", "phone": ""},
    "no contact": {"phone": ""},
    "no facts": {"facts": "有问题。"},
    "organisation without letter": {
        "objector_kind": "organisation",
        "organisation_name": "某某职业学院",
        "person_name": "",
    },
    "bad upload": {
        "objector_kind": "organisation",
        "organisation_name": "某某职业学院",
        "letter": pdf_upload("letter.pdf", b"not a pdf at all"),
    },
    "unknown kind": {"objector_kind": "robot"},
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_objections_change_nothing(notice, case):
    events = AuditEvent.objects.count()
    notifications = Notification.objects.count()
    with time_machine.travel(NOTICE_START, tick=False), pytest.raises(Invalid):
        person_objection(notice.winner, **REFUSED[case])
    assert not Objection.objects.exists()
    assert AuditEvent.objects.count() == events
    assert Notification.objects.count() == notifications


def test_anonymous_message_is_clear(notice):
    with time_machine.travel(NOTICE_START, tick=False), pytest.raises(Invalid) as caught:
        person_objection(notice.winner, person_name="", phone="")
    assert any("匿名" in p or "Anonymous" in p for p in caught.value.problems)


def test_filing_after_the_period_is_refused(notice):
    after = notice.publicity.ends_at + dt.timedelta(seconds=1)
    with time_machine.travel(after, tick=False), pytest.raises(Invalid):
        person_objection(notice.winner)
    assert not Objection.objects.exists()


def test_filing_before_the_notice_or_against_a_non_winner_is_refused(notice):
    with time_machine.travel(NOTICE_START, tick=False), pytest.raises(Invalid):
        person_objection(notice.runner_up)
    fresh = reviewed_call()
    with pytest.raises(Invalid):
        person_objection(fresh.winner)
    assert not Objection.objects.exists()


# --- Suspension (第五十四条) and answers ----------------------------------------------------------


@pytest.fixture
def objection(notice):
    with time_machine.travel(NOTICE_START, tick=False):
        return person_objection(notice.winner)


def test_an_open_objection_suspends_approval_and_dismissal_lifts_it(notice, objection):
    assert is_suspended(notice.winner)
    with pytest.raises(Conflict):
        application_approve(application=notice.winner, by=notice.director)
    notice.winner.refresh_from_db()
    assert notice.winner.state == ApplicationState.SHORTLISTED

    objection_dismiss(objection=objection, by=notice.staff, answer="经核查，采购合同真实有效。")
    objection.refresh_from_db()
    assert objection.state == ObjectionState.DISMISSED
    assert objection.answered_by == notice.staff and objection.answered_at
    assert not is_suspended(notice.winner)
    with time_machine.travel(notice.publicity.ends_at + dt.timedelta(minutes=1)):
        application_approve(application=notice.winner, by=notice.director)
    notice.winner.refresh_from_db()
    assert notice.winner.state == ApplicationState.APPROVED


def test_upheld_objection_is_recorded_and_the_item_stays_suspended(notice, objection):
    objection_uphold(
        objection=objection,
        by=notice.staff,
        answer="经核查，设备未购置，异议成立。",
        outcome=ObjectionOutcome.WITHDRAW,
    )
    objection.refresh_from_db()
    assert objection.state == ObjectionState.UPHELD
    assert objection.outcome == ObjectionOutcome.WITHDRAW
    event = AuditEvent.objects.get(action="objection.uphold")
    assert (event.from_state, event.to_state) == ("received", "upheld")
    with pytest.raises(Conflict):
        application_approve(application=notice.winner, by=notice.director)
    # The director may still act on it: not approving is not suspended.
    application_not_approve(application=notice.winner, by=notice.director, reason="异议成立")
    notice.winner.refresh_from_db()
    assert notice.winner.state == ApplicationState.NOT_APPROVED


def test_an_answer_is_given_once(notice, objection):
    objection_dismiss(objection=objection, by=notice.staff, answer="不成立。")
    with pytest.raises(Conflict):
        objection_uphold(objection=objection, by=notice.staff, answer="成立。", outcome="withdraw")


@pytest.mark.parametrize(
    "kwargs",
    [{"answer": "", "outcome": "withdraw"}, {"answer": "成立。", "outcome": "nonsense"}],
)
def test_uphold_needs_an_answer_and_an_outcome(notice, objection, kwargs):
    with pytest.raises(Invalid):
        objection_uphold(objection=objection, by=notice.staff, **kwargs)
    objection.refresh_from_db()
    assert objection.state == ObjectionState.RECEIVED


@pytest.mark.parametrize("who", ["applicant", "other_office", "anonymous", "staff"])
def test_only_the_calls_office_staff_answer(notice, objection, who):
    user = {
        "applicant": notice.applicant,
        "other_office": other_office_staff(),
        "anonymous": AnonymousUser(),
        "staff": notice.staff,
    }[who]
    if who == "staff":
        objection_dismiss(objection=objection, by=user, answer="不成立。")
        objection.refresh_from_db()
        assert objection.state == ObjectionState.DISMISSED
        return
    with pytest.raises(NotPermitted):
        objection_dismiss(objection=objection, by=user, answer="不成立。")
    objection.refresh_from_db()
    assert objection.state == ObjectionState.RECEIVED
    assert not AuditEvent.objects.filter(action="objection.dismiss").exists()


def test_director_of_another_role_is_not_staff(notice, objection):
    # The director approves; answering objections is office staff's work.
    outsider = member(Role.APPLICANT, notice.runner_up.organisation)
    with pytest.raises(NotPermitted):
        objection_dismiss(objection=objection, by=outsider, answer="不成立。")


def test_the_objector_is_told_the_outcome_in_the_portal_and_by_email(
    notice, django_capture_on_commit_callbacks, mailoutbox
):
    from notifications.kinds import Kind
    from tests.factories import UserFactory

    citizen = UserFactory()
    with time_machine.travel(NOTICE_START, tick=False):
        objection = person_objection(notice.winner, by=citizen, email="zhao6@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        objection_dismiss(objection=objection, by=notice.staff, answer="经核查，采购合同真实有效。")
    note = Notification.objects.get(recipient=citizen, kind=Kind.OBJECTION_ANSWERED)
    assert "经核查，采购合同真实有效。" in note.text
    (mail,) = mailoutbox
    assert mail.to == ["zhao6@example.cn"] and "经核查，采购合同真实有效。" in mail.body
    assert notice.winner.title in mail.body
