"""One call from draft to plaque, every decision an HTTP request by the role that owns it.

Applicants apply, the office checks and draws, the drawn experts accept and score, the office
ranks and publishes the notice, every member department countersigns, the director approves and
decides; then the winner lands (task agreement, report), declares completion, passes the
acceptance review and is awarded the plaque, which the public list shows. Between the stages the
states, and the task inbox (我的待办) of whoever must act next, are asserted; at the end the audit
chain verifies and every flow has ended.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from viewflow.workflow.status import PROCESS

from processes import engine
from tests.e2e.journey import (
    SHANGHAI,
    START,
    World,
    applicant_confirms_agreement,
    applicant_declares_completion,
    applicant_reports,
    apply,
    assert_inboxes,
    audit_verifies,
    certificate_downloads,
    departments_agree,
    director_approves,
    director_decides_call,
    director_decision_post,
    draw_experts,
    error_messages,
    experts_accept,
    experts_score,
    flows_of,
    formal_checks_pass,
    office_awards,
    office_call_action,
    office_closes_panel,
    office_confirms_ranking,
    office_draws_acceptance_panel,
    office_opens_countersign,
    office_records_acceptance,
    office_sends_agreement,
    office_starts_publicity,
    office_verifies_values,
    public_sees_plaque,
    states,
    url,
    world,
)
from tests.factories import DepartmentFactory, member
from tests.workflow.publicity_helpers import call_in_notice
from workflow.choices import ApplicationState, CallState, Role
from workflow.models import Agreement
from workflow.models.award import AcceptanceState
from workflow.models.countersign import CountersignRoundState
from workflow.models.landing import AgreementState, ReportState

pytestmark = pytest.mark.django_db

A = ApplicationState
C = CallState
DONE, RUNNING = PROCESS.DONE, PROCESS.NEW


def test_one_call_from_draft_to_plaque_over_http():
    with time_machine.travel(START, tick=True) as traveller:
        w = world(organisations=2)
        staff, director = w.staff, w.director
        first, second = w.applicants
        assert w.call.state == C.DRAFT and flows_of(w.call) == {}

        # 公开发榜: publishing starts the selection flow; the office must close the window.
        assert office_call_action(w, "publish").state == C.PUBLISHED
        assert flows_of(w.call) == {"SelectionFlow": RUNNING}
        assert_inboxes(w, {staff: ["close_window"]})

        # 自愿申报: two organisations apply; their work is theirs, no task for anyone else.
        winner = apply(w, first, "新能源汽车智能制造实训基地")
        runner_up = apply(w, second, "新能源汽车维修实训基地")
        assert_inboxes(w, {staff: ["close_window"]})

        # The window cannot be closed early.
        early = w.client(staff).post(url("office_call_action", w.call.pk, "close"))
        assert early.status_code == 302 and error_messages(early)
        assert w.refresh().state == C.PUBLISHED

        # 形式审查 after the window closes.
        w.jump(traveller, w.call.closes_at + dt.timedelta(hours=1))
        assert office_call_action(w, "close").state == C.CLOSED
        assert_inboxes(w, {staff: ["formal_checks"]})
        formal_checks_pass(w, [winner, runner_up])
        assert office_call_action(w, "start_review").state == C.UNDER_REVIEW
        assert states(winner, runner_up) == [A.UNDER_REVIEW, A.UNDER_REVIEW]
        assert_inboxes(w, {staff: ["review"]})

        # 专家评议: the draw, the experts' acceptance with the declaration, their sheets.
        draw = draw_experts(w)
        panel = experts_accept(w)
        assert len(panel) == 5
        shares = {winner.pk: "0.85", runner_up.pk: "0.7"}
        assert experts_score(w, panel, shares) == 10
        office_verifies_values(w, [winner, runner_up])
        office_closes_panel(w, draw)
        # The panel is closed: the office's next step is to confirm the ranking.
        assert_inboxes(w, {staff: ["confirm_ranking"]})

        # 排序确认 → 公示.
        office_confirms_ranking(w)
        assert states(winner, runner_up) == [A.SHORTLISTED, A.NOT_SELECTED]
        assert_inboxes(w, {staff: ["open_publicity"]})
        publicity = office_starts_publicity(w)
        assert w.call.state == C.PUBLICITY
        assert_inboxes(w, {staff: ["answer_objections"]})

        # The notice period ends with no objection; the scheduler's tick moves the flow on.
        w.jump(traveller, publicity.ends_at + dt.timedelta(minutes=1))
        engine.tick()
        assert_inboxes(w, {staff: ["open_countersign"]})

        # 会签: one task per member department, in parallel.
        office_opens_countersign(w)
        assert_inboxes(w, {approver: ["countersign"] for approver in w.approvers})
        departments_agree(w)
        (countersign_round,) = w.call.countersign_rounds.all()
        assert countersign_round.state == CountersignRoundState.AGREED
        assert_inboxes(w, {director: ["director_approval"]})

        # 主任审批: approving the winner starts its landing; deciding ends the selection.
        director_approves(w, [winner])
        assert flows_of(winner) == {"LandingFlow": RUNNING}
        assert_inboxes(w, {director: ["director_approval"], staff: ["draft_agreement"]})
        assert director_decides_call(w).state == C.DECIDED
        assert flows_of(w.call) == {"SelectionFlow": DONE}
        assert_inboxes(w, {staff: ["draft_agreement"]})

        # 揭榜落地: the agreement, drafted and sent by the office, confirmed by the winner.
        office_sends_agreement(w, winner, starts_on=dt.date(2026, 4, 1))
        assert Agreement.objects.get(application=winner).state == AgreementState.SENT
        assert_inboxes(w, {first: ["confirm_agreement"]})
        applicant_confirms_agreement(w, first, winner)
        assert states(winner) == [A.CONSTRUCTING]
        assert Agreement.objects.get(application=winner).state == AgreementState.CONFIRMED
        assert_inboxes(w, {first: ["construct"]})

        # Building: the first monthly dispatch.
        w.jump(traveller, dt.datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI))
        report = applicant_reports(w, first, winner)
        assert report.state == ReportState.SUBMITTED
        assert_inboxes(w, {first: ["construct"]})

        # 评审认定: completion declared; the office draws the panel and records its sheets.
        w.jump(traveller, dt.datetime(2027, 10, 11, 9, 0, tzinfo=SHANGHAI))
        applicant_declares_completion(w, first, winner)
        assert states(winner) == [A.ACCEPTANCE]
        assert flows_of(winner) == {"LandingFlow": DONE, "AcceptanceFlow": RUNNING}
        assert_inboxes(w, {staff: ["draw_panel"]})
        acceptance = office_draws_acceptance_panel(w, winner)
        assert acceptance.state == AcceptanceState.PANEL and len(acceptance.panel) == 5
        assert_inboxes(w, {staff: ["record_scores"]})
        acceptance = office_records_acceptance(w, winner, acceptance)
        assert acceptance.state == AcceptanceState.PASSED
        assert_inboxes(w, {staff: ["award"]})

        # 授牌.
        award = office_awards(w, winner)
        assert states(winner, runner_up) == [A.AWARDED, A.NOT_SELECTED]
        assert award.awarded_on == dt.date(2027, 10, 11)
        assert_inboxes(w, {})
        public_sees_plaque(award)
        certificate_downloads(w, first, award)
        # The runner-up reads no certificate of another organisation.
        assert w.client(second).get(url("award_certificate", award.pk)).status_code == 403

    # Every flow ended; the runner-up never had one; the audit chain holds.
    assert flows_of(w.call) == {"SelectionFlow": DONE}
    assert flows_of(winner) == {"LandingFlow": DONE, "AcceptanceFlow": DONE}
    assert flows_of(runner_up) == {}
    audit_verifies()


def test_nothing_is_decided_while_the_notice_runs():
    """公示 first, then 会签 and 审批: through HTTP, during the notice period, the office opens
    the countersign, every department agrees and the director approves and decides. The call
    must still be in its notice, the proposed winner not yet approved."""
    notice = call_in_notice()
    office = notice.call.office
    w = World(
        call=notice.call,
        staff=notice.staff,
        director=notice.director,
        approvers=[
            member(Role.DEPARTMENT_APPROVER, DepartmentFactory(office=office)) for _ in range(2)
        ],
        experts=[],
        applicants=[notice.applicant],
    )
    assert_inboxes(w, {w.staff: ["answer_objections"]})
    w.client(w.staff).post(url("office_countersign_open", w.call.pk))
    for approver in w.approvers:
        for countersign in w.client(approver).get(url("countersign_inbox")).context["countersigns"]:
            w.client(approver).post(
                url("countersign_sign", countersign.pk), {"decision": "agree", "opinion": "同意。"}
            )
    director_decision_post(w, notice.winner)
    w.client(w.director).post(url("director_decide_call", w.call.pk))
    assert states(notice.winner) == [A.SHORTLISTED]
    assert w.refresh().state == C.PUBLICITY
