"""揭榜落地 services: the agreement from draft to confirmation, the reports and milestones."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications import recipients
from notifications.kinds import Kind
from notifications.models import Notification
from tests.factories import force_state, published_call
from tests.factories_landing import (
    confirmed_agreement,
    drafted_agreement,
    landing_parties,
    load_wucheng_rules,
    market_recruitment_rule,
    other_parties,
    sent_agreement,
)
from workflow.choices import ApplicationState, CallRoute, FundingSource, ReportKind
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Agreement, AuditEvent, Milestone, ProgressReport
from workflow.models.landing import AgreementState, ReportState
from workflow.rules import landing as rules
from workflow.services.landing import (
    agreement_confirm,
    agreement_return,
    agreement_send,
    milestone_done,
    report_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    load_wucheng_rules()
    return landing_parties()


def actions(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).values_list("action", flat=True)
    )


def notified(kind) -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


# Drafting and subsidies ------------------------------------------------------------------------


def test_the_office_drafts_an_agreement_with_the_subsidies_of_the_rules(parties):
    application, staff, _applicant = parties
    agreement = drafted_agreement(application, staff)
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.DRAFT
    assert agreement.subsidies["total"] == "2200000.00"
    fit_out, training = agreement.subsidies["lines"]
    assert fit_out["amount"] == "600000.00"  # 50% of 1,200,000
    # 300 trainees earn 600,000; 600 would earn 1,200,000 but the year is capped at 1,000,000.
    assert [y["amount"] for y in training["years"]] == ["600000.00", "1000000.00"]
    assert training["capped"] is True
    assert agreement.funding == {
        FundingSource.GOVERNMENT_INVESTMENT.value: "300.00",
        FundingSource.SELF_RAISED.value: "500.00",
    }
    assert list(agreement.milestones.values_list("title", flat=True)) == [
        "完成实训车间装修",
        "设备安装调试",
    ]
    assert actions(agreement) == ["agreement.draft"]
    event = AuditEvent.objects.get(action="agreement.draft")
    assert event.actor_id == staff.pk and event.diff["subsidies_total"] == "2200000.00"


def test_the_one_off_fit_out_subsidy_is_capped_at_one_million(parties):
    application, staff, _ = parties
    agreement = drafted_agreement(
        application, staff, fit_out_cost=Decimal("5000000"), trainees_per_year=[]
    )
    assert agreement.subsidies["lines"][0]["amount"] == "1000000.00"
    assert agreement.subsidies["total"] == "1000000.00"


def test_an_inactive_rule_is_not_applied(parties):
    application, staff, _ = parties
    from workflow.models import SubsidyRule

    SubsidyRule.objects.filter(code="wucheng_training").update(active=False)
    agreement = drafted_agreement(application, staff)
    assert [line["code"] for line in agreement.subsidies["lines"]] == ["wucheng_fit_out"]


def test_mutually_exclusive_rewards_are_refused_with_the_rules_reason(parties):
    application, staff, _ = parties
    market_recruitment_rule()
    with pytest.raises(Invalid) as refused:
        drafted_agreement(application, staff)
    (problem,) = refused.value.problems
    assert "产业人才学院培养奖励" in problem and "市场化引才奖励" in problem
    assert not Agreement.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="agreement.").exists()


def test_claiming_one_of_the_exclusive_rewards_is_accepted(parties):
    application, staff, _ = parties
    market_recruitment_rule()
    agreement = drafted_agreement(application, staff, claims=["wucheng_training"])
    assert [line["code"] for line in agreement.subsidies["lines"]] == ["wucheng_training"]


@pytest.mark.parametrize("years", [2, 6])
def test_a_term_out_of_range_is_refused(parties, years):
    application, staff, _ = parties
    with pytest.raises(Invalid) as refused:
        drafted_agreement(application, staff, term_years=years)
    assert any("3" in p and "5" in p for p in refused.value.problems)
    assert not Agreement.objects.exists()


def test_funding_not_adding_up_to_the_budget_is_refused(parties):
    application, staff, _ = parties
    with pytest.raises(Invalid) as refused:
        drafted_agreement(application, staff, budget_total=Decimal("900.00"))
    assert any("800" in p and "900" in p for p in refused.value.problems)
    assert not Agreement.objects.exists()


def test_a_milestone_outside_the_term_is_refused(parties):
    application, staff, _ = parties
    with pytest.raises(Invalid):
        drafted_agreement(
            application, staff, milestones=[{"title": "验收", "due_on": dt.date(2030, 1, 1)}]
        )
    with pytest.raises(Invalid):
        drafted_agreement(application, staff, milestones=[])
    assert not Agreement.objects.exists()


def test_only_staff_of_the_calls_office_draft(parties):
    application, _staff, applicant = parties
    others = other_parties(application)
    for user in [applicant, *others.values()]:
        with pytest.raises(NotPermitted):
            drafted_agreement(application, user)
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    "state", [ApplicationState.SHORTLISTED, ApplicationState.CONSTRUCTING, ApplicationState.AWARDED]
)
def test_only_an_approved_application_gets_an_agreement(parties, state):
    application, staff, _ = parties
    force_state(application, state)
    with pytest.raises(Conflict):
        drafted_agreement(application, staff)


def test_a_direct_award_call_has_no_agreement():
    load_wucheng_rules()
    call = published_call(route=CallRoute.DIRECT_AWARD)
    application, staff, _ = landing_parties(call=call)
    with pytest.raises(Invalid):
        drafted_agreement(application, staff)


def test_the_draft_is_changed_while_it_is_a_draft_and_then_no_more(parties):
    application, staff, _applicant = parties
    agreement = drafted_agreement(application, staff)
    milestones = [{"title": "只有一项", "due_on": dt.date(2027, 1, 1)}]
    agreement = drafted_agreement(application, staff, term_years=4, milestones=milestones)
    assert agreement.term_years == 4
    assert list(Milestone.objects.values_list("title", flat=True)) == ["只有一项"]
    assert actions(agreement) == ["agreement.draft", "agreement.edit"]
    agreement_send(agreement=agreement, by=staff)
    with pytest.raises(Conflict):
        drafted_agreement(application, staff, term_years=5)
    agreement.refresh_from_db()
    assert agreement.term_years == 4


# Sending, returning, confirming ------------------------------------------------------------


def test_sending_tells_the_organisation(parties):
    application, staff, applicant = parties
    agreement = sent_agreement(application, staff)
    assert agreement.state == AgreementState.SENT
    assert actions(agreement)[-1] == "agreement.send"
    assert notified(Kind.AGREEMENT_SENT) == [applicant.pk]
    with pytest.raises(Conflict):
        agreement_send(agreement=agreement, by=staff)


def test_only_the_office_sends(parties):
    application, staff, applicant = parties
    agreement = drafted_agreement(application, staff)
    for user in [applicant, *other_parties(application).values()]:
        with pytest.raises(NotPermitted):
            agreement_send(agreement=agreement, by=user)
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.DRAFT


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_returning_needs_a_reason(parties, reason):
    application, staff, applicant = parties
    agreement = sent_agreement(application, staff)
    with pytest.raises(Invalid):
        agreement_return(agreement=agreement, by=applicant, reason=reason)
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.SENT
    assert notified(Kind.OFFICE_AGREEMENT_RETURNED) == []


def test_returning_with_a_reason_goes_back_to_the_office(parties):
    application, staff, applicant = parties
    agreement = sent_agreement(application, staff)
    agreement = agreement_return(agreement=agreement, by=applicant, reason="培训人数偏高。")
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.DRAFT
    assert agreement.return_reason == "培训人数偏高。"
    event = AuditEvent.objects.get(action="agreement.return_to_office")
    assert event.reason == "培训人数偏高。" and event.actor_id == applicant.pk
    office_staff = recipients.office_staff_of(application.call.office_id)
    assert staff.pk in office_staff
    assert notified(Kind.OFFICE_AGREEMENT_RETURNED) == office_staff
    note = Notification.objects.filter(kind=Kind.OFFICE_AGREEMENT_RETURNED).first()
    assert note.payload["reason"] == "培训人数偏高。"
    # The office redrafts and sends again.
    agreement = drafted_agreement(application, staff, trainees_per_year=[200])
    agreement_send(agreement=agreement, by=staff)
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.SENT


def test_only_the_organisation_returns_or_confirms(parties):
    application, staff, _applicant = parties
    agreement = sent_agreement(application, staff)
    for user in [staff, *other_parties(application).values()]:
        with pytest.raises(NotPermitted):
            agreement_return(agreement=agreement, by=user, reason="不同意")
        with pytest.raises(NotPermitted):
            agreement_confirm(agreement=agreement, by=user)
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.SENT


def test_a_draft_cannot_be_confirmed(parties):
    application, staff, applicant = parties
    agreement = drafted_agreement(application, staff)
    with pytest.raises(Conflict):
        agreement_confirm(agreement=agreement, by=applicant)


def test_confirming_starts_construction_and_schedules_every_report(parties):
    application, staff, applicant = parties
    agreement = confirmed_agreement(application, staff, applicant)
    agreement.refresh_from_db()
    application.refresh_from_db()
    assert agreement.state == AgreementState.CONFIRMED
    assert agreement.confirmed_by == applicant and agreement.confirmed_at is not None
    assert application.state == ApplicationState.CONSTRUCTING
    reports = ProgressReport.objects.filter(agreement=agreement)
    assert reports.count() == 36 + 12 + 3
    assert set(reports.values_list("state", flat=True)) == {ReportState.DUE}
    due = {(r.kind, r.period): timezone.localtime(r.due_at) for r in reports}
    # On the seeded holiday calendar: 清明 (4-6 April 2026) moves the first quarter's bulletin.
    assert due[(ReportKind.QUARTERLY, "2026Q1")].date() == dt.date(2026, 4, 15)
    assert due[(ReportKind.MONTHLY, "2026-01")].date() == dt.date(2026, 2, 6)
    assert due[(ReportKind.MONTHLY, "2026-01")].time() == dt.time(23, 59, 59)
    assert actions(agreement)[-1] == "agreement.confirm"
    assert "application.start_construction" in actions(application)
    with pytest.raises(Conflict):
        agreement_confirm(agreement=agreement, by=applicant)
    assert reports.count() == 51


def test_confirming_fails_whole_when_the_application_moved_on(parties):
    application, staff, applicant = parties
    agreement = sent_agreement(application, staff)
    force_state(application, ApplicationState.TERMINATED)
    with pytest.raises(Conflict):
        agreement_confirm(agreement=agreement, by=applicant)
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.SENT
    assert not ProgressReport.objects.exists()
    assert not AuditEvent.objects.filter(action="agreement.confirm").exists()


# Reports and milestones --------------------------------------------------------------------


@pytest.fixture
def confirmed(parties):
    application, staff, applicant = parties
    return confirmed_agreement(application, staff, applicant), staff, applicant


def first_report(agreement) -> ProgressReport:
    return ProgressReport.objects.filter(agreement=agreement).order_by("due_at", "pk").first()


def test_a_report_is_submitted_once(confirmed):
    agreement, _staff, applicant = confirmed
    report = report_submit(report=first_report(agreement), by=applicant, content=" 本月完成装修。 ")
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert report.content == "本月完成装修。"
    assert report.submitted_by == applicant
    assert actions(report) == ["progressreport.submit"]
    with pytest.raises(Conflict):
        report_submit(report=report, by=applicant, content="再交一次")


@pytest.mark.parametrize("content", ["", "   ", None, "长" * (rules.MAX_REPORT_LENGTH + 1)])
def test_a_report_needs_content_of_bounded_length(confirmed, content):
    agreement, _staff, applicant = confirmed
    with pytest.raises(Invalid):
        report_submit(report=first_report(agreement), by=applicant, content=content)
    assert first_report(agreement).state == ReportState.DUE


def test_only_the_organisation_reports(confirmed):
    agreement, staff, _applicant = confirmed
    report = first_report(agreement)
    for user in [staff, *other_parties(agreement.application).values()]:
        with pytest.raises(NotPermitted):
            report_submit(report=report, by=user, content="代交")
    assert first_report(agreement).state == ReportState.DUE


def test_a_milestone_is_recorded_once_and_audited(confirmed):
    agreement, staff, applicant = confirmed
    milestone = agreement.milestones.order_by("due_on").first()
    with pytest.raises(NotPermitted):
        milestone_done(milestone=milestone, by=staff, done_on=dt.date(2026, 6, 1))
    with pytest.raises(Invalid):  # in the future
        milestone_done(
            milestone=milestone, by=applicant, done_on=timezone.localdate() + dt.timedelta(days=1)
        )
    with pytest.raises(Invalid):  # before the term
        milestone_done(milestone=milestone, by=applicant, done_on=dt.date(2025, 12, 1))
    milestone = milestone_done(milestone=milestone, by=applicant, done_on=dt.date(2026, 6, 1))
    assert Milestone.objects.get(pk=milestone.pk).done_on == dt.date(2026, 6, 1)
    event = AuditEvent.objects.get(action="milestone.done")
    assert event.actor_id == applicant.pk and event.diff["done_on"] == "2026-06-01"
    with pytest.raises(Conflict):
        milestone_done(milestone=milestone, by=applicant, done_on=dt.date(2026, 6, 2))


def test_milestones_of_an_unconfirmed_agreement_are_not_recorded(parties):
    application, staff, applicant = parties
    agreement = sent_agreement(application, staff)
    milestone = agreement.milestones.first()
    with pytest.raises(Conflict):
        milestone_done(milestone=milestone, by=applicant, done_on=dt.date(2026, 6, 1))
