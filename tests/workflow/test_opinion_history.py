"""意见记录: every written opinion about a call or an application, from the audit trail, in
order, in one query."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from tests.factories import OrganisationFactory, complete_application, member, published_call
from tests.factories_approval import (
    CountersignCall,
    acceptance_of,
    agreement_of,
    recorded,
    tolerance_case_of,
)
from tests.workflow.publicity_helpers import NOTICE_START, call_in_notice, person_objection
from workflow.choices import Role
from workflow.selectors.opinions import opinion_history
from workflow.services.applications import (
    application_accept,
    application_approve,
    application_return,
    application_submit,
)
from workflow.services.publicity import objection_dismiss

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided_call():
    """A call in notice with an answered objection, a returned and an agreed countersign
    round, and the director's approval of the winner; plus noise that is not an opinion."""
    with time_machine.travel(NOTICE_START, tick=True) as traveller:
        notice = call_in_notice()
        objection = person_objection(notice.winner)
        objection_dismiss(objection=objection, by=notice.staff, answer="经核查，异议不成立。")
        traveller.move_to(notice.publicity.ends_at + dt.timedelta(minutes=1))
        setup = CountersignCall(departments=2, call=notice.call)
        setup.open()
        setup.sign(0, agree=False, opinion="不同意：预算偏高。")
        setup.open()
        setup.sign(1, opinion="同意，建议加强资金监管。")
        setup.sign(0, opinion="同意。")
        application_approve(application=notice.winner, by=notice.director, reason="同意立项。")
        # Not in the call's history: a reason on an application that is not the director's
        # decision, another call's countersign, events without a written reason.
        recorded(notice.winner, "application.update", by=notice.staff, reason="更正联系人。")
        other = CountersignCall(departments=1)
        other.open()
        other.sign(0, opinion="其他榜单的意见。")
        recorded(notice.call, "call.note", by=notice.staff)
    return notice, setup


def test_call_history_in_order_with_departments_and_applicants(decided_call):
    notice, setup = decided_call
    history = opinion_history(notice.call)
    assert [(o.action, o.text) for o in history] == [
        ("objection.dismiss", "经核查，异议不成立。"),
        ("countersign.disagree", "不同意：预算偏高。"),
        ("countersign.agree", "同意，建议加强资金监管。"),
        ("countersign.agree", "同意。"),
        ("application.approve", "同意立项。"),
    ]
    department_names = [d.name for d in setup.departments]
    assert [o.subject for o in history] == [
        notice.winner.organisation.name,
        department_names[0],
        department_names[1],
        department_names[0],
        notice.winner.organisation.name,
    ]
    assert [o.actor for o in history] == [
        notice.staff.username,
        setup.approvers[0].username,
        setup.approvers[1].username,
        setup.approvers[0].username,
        notice.director.username,
    ]
    assert [o.role for o in history] == [
        Role.OFFICE_STAFF,
        Role.DEPARTMENT_APPROVER,
        Role.DEPARTMENT_APPROVER,
        Role.DEPARTMENT_APPROVER,
        Role.OFFICE_DIRECTOR,
    ]
    assert [o.is_countersign for o in history] == [False, True, True, True, False]
    assert [o.sequence for o in history] == sorted(o.sequence for o in history)
    assert all(o.at is not None for o in history)
    with translation.override("en"):
        assert [o.action_label for o in history[:2]] == ["Objection dismissed", "Disagreed"]
        assert history[4].role_label == "Office director"


def test_call_history_is_one_query_however_long(decided_call, django_assert_num_queries):
    notice, setup = decided_call
    with django_assert_num_queries(1):
        short = opinion_history(notice.call)
    with time_machine.travel(notice.publicity.ends_at + dt.timedelta(minutes=2), tick=True):
        setup.set_mode("any")  # between rounds: the last one was agreed
        setup.open()
        setup.sign(0, agree=False, opinion="再议。")
        setup.sign(1, opinion="同意。")
    with django_assert_num_queries(1):
        longer = opinion_history(notice.call)
    assert len(longer) == len(short) + 2


def test_an_opinion_written_into_the_diff_counts():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    recorded(call, "call.note", by=staff, diff={"opinion": "  建议延长申报期。 "})
    recorded(call, "call.note", by=staff, diff={"opinion": ""})
    recorded(call, "call.note", by=staff, diff={"other": "x"})
    history = opinion_history(call)
    assert [o.text for o in history] == ["建议延长申报期。"]
    assert history[0].action_label == "call.note"  # unknown actions show their code


def test_application_history_collects_its_related_objects():
    application = complete_application()
    call = application.call
    staff = member(Role.OFFICE_STAFF, call.office)
    applicant = member(Role.APPLICANT, application.organisation)
    application_submit(application=application, by=applicant)
    application_return(application=application, by=staff, reason="请补充资金来源证明。")
    application_submit(application=application, by=applicant)
    application_accept(application=application, by=staff)  # no reason: not an opinion
    agreement = agreement_of(application, staff)
    recorded(agreement, "agreement.send", by=staff)
    recorded(
        agreement,
        "agreement.return_to_office",
        by=applicant,
        role=Role.APPLICANT,
        reason="工期安排不合理。",
    )
    acceptance = acceptance_of(application)
    # One decision written on two objects in one transaction is shown once.
    recorded(acceptance, "acceptance.fail", by=staff, reason="实训工位数未达标。")
    recorded(application, "application.fail_acceptance", by=staff, reason="实训工位数未达标。")
    case = tolerance_case_of(application)
    recorded(case, "tolerancecase.decide", by=staff, reason="符合“三个区分开来”，予以减责。")
    # Another application's reasons stay out.
    other = complete_application(call=call, organisation=OrganisationFactory())
    recorded(other, "application.reject", by=staff, reason="不属于本榜单。")
    recorded(agreement_of(other), "agreement.return_to_office", reason="别的任务书。")

    history = opinion_history(application)
    assert [(o.action, o.text) for o in history] == [
        ("application.return_for_correction", "请补充资金来源证明。"),
        ("agreement.return_to_office", "工期安排不合理。"),
        ("acceptance.fail", "实训工位数未达标。"),
        ("tolerancecase.decide", "符合“三个区分开来”，予以减责。"),
    ]
    assert {o.subject for o in history} == {""}


def test_application_history_is_one_query(django_assert_num_queries):
    application = complete_application()
    staff = member(Role.OFFICE_STAFF, application.call.office)
    with django_assert_num_queries(1):
        assert opinion_history(application) == []
    agreement = agreement_of(application, staff)
    for n in range(5):
        recorded(application, "application.approve", by=staff, reason=f"意见{n}")
        recorded(agreement, "agreement.return_to_office", by=staff, reason=f"退回{n}")
    recorded(acceptance_of(application), "acceptance.pass_", by=staff, reason="通过。")
    recorded(tolerance_case_of(application), "tolerancecase.verify", by=staff, reason="已整改。")
    with django_assert_num_queries(1):
        assert len(opinion_history(application)) == 12


def test_only_calls_and_applications_have_a_history():
    with pytest.raises(TypeError):
        opinion_history(OrganisationFactory())
