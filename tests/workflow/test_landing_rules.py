"""The rules of a task agreement and of its report schedule: plain functions, no database."""

import datetime as dt
from decimal import Decimal

import pytest

from workflow.choices import FundingSource, ReportKind
from workflow.rules import landing as rules
from workflow.rules.subsidies import (
    WUCHENG_FIT_OUT,
    WUCHENG_RULES,
    WUCHENG_TALENT_GROUP,
    WUCHENG_TRAINING,
    ExclusiveRewards,
    SubsidyError,
    SubsidyKind,
    SubsidyRule,
)

D = dt.date
GOV = FundingSource.GOVERNMENT_INVESTMENT.value
SELF = FundingSource.SELF_RAISED.value

MARKET = SubsidyRule(
    code="market_recruitment",
    name="市场化引才奖励",
    kind=SubsidyKind.PER_HEAD,
    amount_per_unit=Decimal("5000"),
    years=3,
    annual_cap=Decimal("500000"),
    exclusivity_group=WUCHENG_TALENT_GROUP,
)


def terms(**overrides) -> rules.AgreementTerms:
    fields = {
        "targets": "建成实训基地。",
        "term_years": 3,
        "starts_on": D(2026, 1, 1),
        "budget_total": Decimal("800.00"),
        "funding": {GOV: Decimal("300.00"), SELF: Decimal("500.00")},
        "milestones": [rules.MilestoneTerm("装修", D(2026, 6, 30))],
        "fit_out_cost": Decimal("1200000"),
        "trainees_per_year": (300, 600),
    }
    fields.update(overrides)
    return rules.AgreementTerms(**fields)


def test_sound_terms_have_no_problems():
    assert rules.agreement_problems(terms()) == []


@pytest.mark.parametrize("years", [0, 2, 6, "3", None, True])
def test_the_term_is_three_to_five_years(years):
    problems = rules.agreement_problems(terms(term_years=years))
    assert any("3" in p and "5" in p for p in problems), problems


@pytest.mark.parametrize("years", [3, 4, 5])
def test_terms_of_three_four_and_five_years_are_accepted(years):
    assert rules.agreement_problems(terms(term_years=years)) == []


@pytest.mark.parametrize(
    "funding",
    [
        {GOV: Decimal("300.00"), SELF: Decimal("499.99")},  # one fen short
        {GOV: Decimal("300.00"), SELF: Decimal("600.00")},  # too much
        {GOV: Decimal("800.00"), SELF: Decimal("0")},  # a line of nothing
        {GOV: Decimal("900.00"), SELF: Decimal("-100")},  # a negative line
        {"lottery": Decimal("800.00")},  # not a funding source
        {GOV: "lots"},
        {GOV: Decimal("NaN")},
        {},
    ],
)
def test_funding_lines_are_positive_known_and_add_up_to_the_budget(funding):
    assert rules.agreement_problems(terms(funding=funding)) != []


def test_funding_not_adding_up_names_both_sums():
    (problem,) = rules.agreement_problems(
        terms(funding={GOV: Decimal("300"), SELF: Decimal("400")})
    )
    assert "700" in problem and "800" in problem


def test_funding_from_numeric_strings_is_accepted():
    assert rules.agreement_problems(terms(funding={GOV: "300.00", SELF: 500})) == []


@pytest.mark.parametrize("budget", [Decimal("0"), Decimal("-1"), None, "x", Decimal("1e12")])
def test_the_budget_is_a_positive_amount(budget):
    assert rules.agreement_problems(terms(budget_total=budget)) != []


def test_at_least_one_milestone():
    assert len(rules.agreement_problems(terms(milestones=[]))) == 1


@pytest.mark.parametrize(
    "due",
    [D(2025, 12, 31), D(2029, 1, 1), D(2030, 6, 1)],  # before the start, after the last day
)
def test_milestones_fall_within_the_term(due):
    problems = rules.agreement_problems(terms(milestones=[rules.MilestoneTerm("任务", due)]))
    assert len(problems) == 1


def test_the_first_and_last_day_of_the_term_are_within_it():
    milestones = [
        rules.MilestoneTerm("开始", D(2026, 1, 1)),
        rules.MilestoneTerm("结束", D(2028, 12, 31)),
    ]
    assert rules.agreement_problems(terms(milestones=milestones)) == []


@pytest.mark.parametrize(
    "milestone",
    [rules.MilestoneTerm("", D(2026, 6, 1)), rules.MilestoneTerm("任务", None)],
)
def test_a_milestone_needs_a_title_and_a_date(milestone):
    assert len(rules.agreement_problems(terms(milestones=[milestone]))) == 1


def test_blank_targets_are_refused():
    assert rules.agreement_problems(terms(targets="   ")) != []


def test_trainees_for_more_years_than_the_term_are_refused():
    assert rules.agreement_problems(terms(trainees_per_year=(1, 2, 3, 4))) != []
    assert rules.agreement_problems(terms(trainees_per_year=(1, -2))) != []


def test_term_end():
    assert rules.term_end(D(2026, 1, 1), 3) == D(2028, 12, 31)
    assert rules.term_end(D(2026, 11, 15), 5) == D(2031, 11, 14)
    assert rules.term_end(D(2024, 2, 29), 3) == D(2027, 2, 28)


# Subsidies (Wucheng, seed 000) ----------------------------------------------------------------


def test_wucheng_subsidies_half_the_fit_out_cost_and_2000_yuan_per_trainee():
    result = rules.compute_subsidies(
        WUCHENG_RULES, fit_out_cost=Decimal("1200000"), trainees_per_year=[300, 100]
    )
    fit_out, training = result["lines"]
    assert fit_out == {
        "code": "wucheng_fit_out",
        "name": WUCHENG_FIT_OUT.name,
        "kind": "share_of_cost",
        "amount": "600000.00",
        "capped": False,
    }
    assert training["amount"] == "800000.00"
    assert [y["amount"] for y in training["years"]] == ["600000.00", "200000.00"]
    assert result["total"] == "1400000.00"


def test_the_fit_out_subsidy_is_capped_at_one_million():
    result = rules.compute_subsidies(
        [WUCHENG_FIT_OUT], fit_out_cost=Decimal("3000000"), trainees_per_year=[]
    )
    assert result["lines"][0]["amount"] == "1000000.00"
    assert result["lines"][0]["capped"] is True
    assert result["total"] == "1000000.00"


def test_the_training_reward_is_capped_yearly_and_paid_for_three_years_only():
    result = rules.compute_subsidies(
        [WUCHENG_TRAINING], fit_out_cost=0, trainees_per_year=[600, 500, 0, 800]
    )
    (line,) = result["lines"]
    assert [(y["amount"], y["capped"], y["eligible"]) for y in line["years"]] == [
        ("1000000.00", True, True),  # 1,200,000 capped at 1,000,000 a year
        ("1000000.00", False, True),
        ("0.00", False, True),
        ("0.00", False, False),  # year 4: after the three rewarded years
    ]
    assert result["total"] == "2000000.00"


def test_mutually_exclusive_rewards_are_refused_naming_both():
    with pytest.raises(ExclusiveRewards) as refused:
        rules.compute_subsidies(
            [*WUCHENG_RULES, MARKET], fit_out_cost=Decimal("100"), trainees_per_year=[10]
        )
    assert WUCHENG_TRAINING.name in refused.value.message
    assert MARKET.name in refused.value.message


def test_claiming_one_of_the_exclusive_rewards_is_fine():
    result = rules.compute_subsidies(
        [*WUCHENG_RULES, MARKET],
        fit_out_cost=Decimal("100"),
        trainees_per_year=[10],
        claimed=["wucheng_fit_out", "market_recruitment"],
    )
    assert [line["code"] for line in result["lines"]] == ["wucheng_fit_out", "market_recruitment"]
    assert result["total"] == "50050.00"


def test_nothing_to_claim_gives_no_subsidy():
    assert rules.compute_subsidies(WUCHENG_RULES, fit_out_cost=0, trainees_per_year=[]) == {
        "lines": [],
        "total": "0.00",
    }


@pytest.mark.parametrize(
    ("claimed", "cost", "heads"),
    [
        (["no_such_rule"], 100, [1]),
        (["wucheng_fit_out"], 0, []),  # a claim for nothing is a mistake in the claim
        (["wucheng_training"], 100, [0, 0]),
    ],
)
def test_impossible_claims_are_refused_with_a_message(claimed, cost, heads):
    with pytest.raises(SubsidyError) as refused:
        rules.compute_subsidies(
            WUCHENG_RULES, fit_out_cost=cost, trainees_per_year=heads, claimed=claimed
        )
    assert refused.value.message


# Report schedule ---------------------------------------------------------------------------


def test_a_three_year_term_from_january_has_36_monthly_12_quarterly_and_3_annual_reports():
    schedule = rules.report_schedule(D(2026, 1, 1), 3)
    kinds = [r.kind for r in schedule]
    assert kinds.count(ReportKind.MONTHLY) == 36
    assert kinds.count(ReportKind.QUARTERLY) == 12
    assert kinds.count(ReportKind.ANNUAL) == 3
    periods = {(r.kind, r.period) for r in schedule}
    assert (ReportKind.MONTHLY, "2026-01") in periods
    assert (ReportKind.MONTHLY, "2028-12") in periods
    assert (ReportKind.QUARTERLY, "2026Q4") in periods
    assert (ReportKind.ANNUAL, "2028") in periods
    assert schedule == sorted(schedule, key=lambda r: r.due)


def test_due_dates_are_working_days_after_the_period_ends():
    schedule = {(r.kind, r.period): r.due for r in rules.report_schedule(D(2026, 1, 1), 3)}
    # January ends on a Saturday: 5 working days are 2-6 February.
    assert schedule[(ReportKind.MONTHLY, "2026-01")] == D(2026, 2, 6)
    # 10 working days after Tuesday 31 March.
    assert schedule[(ReportKind.QUARTERLY, "2026Q1")] == D(2026, 4, 14)
    # 15 working days after Thursday 31 December (1 January counts without a calendar).
    assert schedule[(ReportKind.ANNUAL, "2026")] == D(2027, 1, 21)


def test_due_dates_skip_holidays_and_count_adjusted_working_days():
    holidays = {D(2026, 4, 4), D(2026, 4, 5), D(2026, 4, 6), D(2027, 1, 1)}
    schedule = {
        (r.kind, r.period): r.due
        for r in rules.report_schedule(D(2026, 1, 1), 3, holidays=holidays)
    }
    assert schedule[(ReportKind.MONTHLY, "2026-03")] == D(2026, 4, 8)  # not 7 April
    assert schedule[(ReportKind.QUARTERLY, "2026Q1")] == D(2026, 4, 15)
    assert schedule[(ReportKind.ANNUAL, "2026")] == D(2027, 1, 22)
    workdays = {D(2026, 2, 1)}  # a Sunday worked: January's report is due a day earlier
    schedule = rules.report_schedule(D(2026, 1, 1), 3, workdays=workdays)
    assert schedule[0].due == D(2026, 2, 5)


def test_a_term_starting_mid_month_reports_on_every_period_it_touches():
    schedule = rules.report_schedule(D(2026, 11, 15), 3)  # to 14 November 2029
    kinds = [r.kind for r in schedule]
    assert kinds.count(ReportKind.MONTHLY) == 37  # 2026-11 .. 2029-11
    assert kinds.count(ReportKind.QUARTERLY) == 13  # 2026Q4 .. 2029Q4
    assert kinds.count(ReportKind.ANNUAL) == 4  # 2026 .. 2029
    assert schedule[0].period == "2026-11"
    assert len({(r.kind, r.period) for r in schedule}) == len(schedule)


def test_reminders_start_three_working_days_before_the_due_date():
    due = D(2026, 2, 6)  # a Friday
    assert not rules.reminder_is_due(D(2026, 2, 2), due)
    assert rules.reminder_is_due(D(2026, 2, 3), due)
    assert rules.reminder_is_due(D(2026, 2, 6), due)
    assert not rules.reminder_is_due(D(2026, 2, 7), due)
    # A holiday in between stretches the reminder back by a calendar day.
    assert rules.reminder_is_due(D(2026, 2, 2), due, holidays={D(2026, 2, 4)})
    assert rules.working_days_until(D(2026, 1, 30), due) == 5
