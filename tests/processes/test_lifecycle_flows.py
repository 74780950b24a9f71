"""The flows after approval follow the domain: landing (with a return and a withdrawal),
acceptance with a failed first round, the direct award, the yearly evaluation and a 容错 case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from processes import engine
from processes.selection import SelectionFlow
from tests import factories_aftercare as aftercare
from tests import factories_award as award
from tests.factories_landing import agreement_fields, landing_parties, load_wucheng_rules
from tests.portal.helpers import logged_in
from tests.processes.helpers import open_steps, open_task
from workflow.choices import ApplicationState, PerformanceGrade
from workflow.errors import Conflict
from workflow.models import Agreement
from workflow.models.landing import AgreementState
from workflow.services import landing as landing_svc
from workflow.services import performance as perf_svc
from workflow.services import tolerance as tol_svc

pytestmark = pytest.mark.django_db


def rows(user) -> list:
    """The user's inbox without the calls' own selection steps (the set-up's calls are open)."""
    return [r for r in engine.inbox(user) if r.task.flow_task.flow_class is not SelectionFlow]


def names(user) -> list[str]:
    return [r.task.flow_task.name for r in rows(user)]


def flow_names(obj) -> list[tuple[str, str]]:
    return sorted((p.flow_class.__name__, p.status) for p in engine.processes_of(obj))


def start_flows(obj) -> None:
    """Objects put into their state with force_state get their flows here."""
    with transaction.atomic():
        engine.sync(obj)


@pytest.fixture
def landing():
    load_wucheng_rules()
    application, staff, applicant = landing_parties()
    start_flows(application)
    return application, staff, applicant


def test_landing_goes_back_to_the_office_when_the_organisation_returns_the_agreement(landing):
    application, staff, applicant = landing
    assert open_steps(application) == {"draft_agreement"}
    agreement = landing_svc.agreement_draft(application=application, by=staff, **agreement_fields())
    landing_svc.agreement_send(agreement=agreement, by=staff)
    assert names(applicant) == ["confirm_agreement"]
    landing_svc.agreement_return(agreement=agreement, by=applicant, reason="培训人数目标过高。")
    (row,) = rows(staff)
    assert row.task.flow_task.name == "draft_agreement" and row.reason == "培训人数目标过高。"
    landing_svc.agreement_send(agreement=agreement, by=staff)
    landing_svc.agreement_confirm(agreement=agreement, by=applicant)
    assert open_steps(application) == {"construct"}
    award.declare(award.Project(application, applicant, staff))
    assert flow_names(application) == [("AcceptanceFlow", "NEW"), ("LandingFlow", "DONE")]
    assert names(staff) == ["draw_panel"]


def test_the_office_withdraws_a_sent_agreement_before_the_organisation_answers(landing):
    application, staff, applicant = landing
    agreement = landing_svc.agreement_draft(application=application, by=staff, **agreement_fields())
    landing_svc.agreement_send(agreement=agreement, by=staff)
    sent_task = (
        engine.processes_of(application).get().task_set.get(flow_task_type="HUMAN", status="DONE")
    )
    client = logged_in(staff)
    assert (
        "Withdraw"
        in client.get(reverse("portal:task_detail", args=[sent_task.pk])).content.decode()
    )
    client.post(
        reverse("portal:task_move", args=[sent_task.pk, "withdraw"]), {"reason": "金额有误"}
    )
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.DRAFT
    held = open_task(application, "draft_agreement")
    assert held.owner_id == staff.pk and held.data["hold"] is True
    assert rows(applicant) == []
    # The office corrects and sends again: the held step goes on by itself.
    landing_svc.agreement_send(agreement=agreement, by=staff)
    logged_in(staff).post(reverse("portal:task_move", args=[held.pk, "send_on"]))
    assert open_steps(application) == {"confirm_agreement"}


def test_withdrawal_is_refused_once_the_organisation_has_confirmed(landing):
    application, staff, applicant = landing
    agreement = landing_svc.agreement_draft(application=application, by=staff, **agreement_fields())
    landing_svc.agreement_send(agreement=agreement, by=staff)
    sent_task = (
        engine.processes_of(application).get().task_set.get(flow_task_type="HUMAN", status="DONE")
    )
    landing_svc.agreement_confirm(agreement=agreement, by=applicant)
    from processes import moves

    assert not moves.withdrawable(sent_task, staff)
    with pytest.raises(Conflict) as refused:
        moves.task_withdraw(task=sent_task, by=staff)
    assert "already acted" in refused.value.message or "已" in refused.value.message
    assert Agreement.objects.get().state == AgreementState.CONFIRMED


def test_a_failed_acceptance_sends_the_project_to_rectify_then_a_new_acceptance_passes():
    award.pool(7)
    p = award.project()
    award.decided(p, "0.4", conclusion="实训设备未到位，限期整改。")
    assert p.refresh().state == ApplicationState.RECTIFYING
    (row,) = rows(p.applicant)
    assert row.task.flow_task.name == "rectify" and "实训设备未到位" in row.reason
    award.awarded(p)
    assert p.refresh().state == ApplicationState.AWARDED
    assert flow_names(p.application) == [("AcceptanceFlow", "DONE"), ("AcceptanceFlow", "DONE")]
    assert rows(p.staff) == [] and rows(p.applicant) == []


def test_the_direct_award_flow_has_one_step_for_the_office():
    p = award.direct_award_project()
    start_flows(p.application)
    assert names(p.staff) == ["award"]
    award.awarded(p)
    assert flow_names(p.application) == [("DirectAwardFlow", "DONE")]


def test_the_yearly_evaluation_and_a_failing_grade_waits_for_verified_rectification():
    made = aftercare.awarded_project()
    review = aftercare.open_review(made, 2025)
    assert names(made.applicant) == ["self_report"]
    perf_svc.performance_submit(
        review=review,
        by=made.applicant,
        indicator_values=aftercare.INDICATORS,
        self_assessment="全年完成实训任务。",
    )
    perf_svc.performance_evaluate(
        review=review,
        by=made.staff,
        grade=PerformanceGrade.FAIL,
        findings="实训学员数量未达目标。",
        evaluator="第三方评估机构",
    )
    perf_svc.performance_publish(review=review, by=made.staff)
    assert open_steps(review) == {"verify_rectification"}
    perf_svc.performance_verify_rectification(review=review, by=made.staff, note="已整改到位。")
    assert flow_names(review) == [("PerformanceFlow", "DONE")]


def test_a_tolerance_case_loops_until_the_correction_is_verified():
    made, case = aftercare.tolerance_requested()
    assert names(made.staff) == ["assess"]
    tol_svc.tolerance_decide(case=case, by=made.staff, **aftercare.decision_data(case))
    assert names(made.applicant) == ["correct"]
    tol_svc.tolerance_report_correction(case=case, by=made.applicant, report="已补齐设备。")
    tol_svc.tolerance_verify(case=case, by=made.staff, accepted=False, note="缺少验收单据。")
    (row,) = rows(made.applicant)
    assert row.task.flow_task.name == "correct" and row.reason == "缺少验收单据。"
    tol_svc.tolerance_report_correction(case=case, by=made.applicant, report="已补交验收单据。")
    tol_svc.tolerance_verify(case=case, by=made.staff, accepted=True, note="核查属实。")
    assert flow_names(case) == [("ToleranceFlow", "DONE")]


def test_overdue_tasks_show_in_the_inbox_after_their_working_days():
    application, staff, _ = landing_parties()
    start_flows(application)
    (row,) = rows(staff)
    assert row.due is not None and not row.overdue
    later = timezone.now() + dt.timedelta(days=40)
    assert next(r for r in engine.inbox(staff, now=later) if r.task.pk == row.task.pk).overdue
