"""Properties of the subsidy arithmetic (workflow/rules/subsidies.py), with hypothesis.

From the module docstring (Wucheng, seed 000, 五(二)): amounts are rounded half up to the fen
before the cap, so a capped amount is exactly the cap; a share-of-cost subsidy is rate × cost
capped at `cap`; a per-person reward pays amount × heads per programme year 1..years, capped at
the annual cap, and nothing later; costs and head counts of zero or less are refused; mutually
exclusive rewards (不可同时享受) are refused by `combine`, never silently dropped. No database.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.workflow.strategies import CENT, cents
from workflow.rules.subsidies import (
    WUCHENG_FIT_OUT,
    WUCHENG_TRAINING,
    Claim,
    ExclusiveRewards,
    SubsidyError,
    SubsidyKind,
    SubsidyRule,
    combine,
    per_head_amount,
    schedule_total,
    share_of_cost_amount,
    yearly_schedule,
)

rates = st.integers(1, 100).map(lambda p: Decimal(p) / 100)
money = cents(1, 10**11)  # 0.01 .. 1,000,000,000.00 yuan
costs = money | st.integers(1, 10**9)


@st.composite
def share_rules(draw, code="share"):
    return SubsidyRule(
        code=code,
        name=f"补助 {code}",
        kind=SubsidyKind.SHARE_OF_COST,
        rate=draw(rates),
        cap=draw(st.none() | money),
        exclusivity_group=draw(st.sampled_from(["", "g1", "g2"])),
    )


@st.composite
def head_rules(draw, code="heads"):
    return SubsidyRule(
        code=code,
        name=f"奖励 {code}",
        kind=SubsidyKind.PER_HEAD,
        amount_per_unit=draw(cents(1, 10**6)),
        years=draw(st.integers(1, 5)),
        annual_cap=draw(st.none() | money),
        exclusivity_group=draw(st.sampled_from(["", "g1", "g2"])),
    )


def is_fen(amount: Decimal) -> bool:
    return amount == amount.quantize(CENT) and amount.as_tuple().exponent == -2


# Share of cost -----------------------------------------------------------------------------------


@given(rule=share_rules() | st.just(WUCHENG_FIT_OUT), cost=costs)
def test_share_of_cost_is_rate_times_cost_to_the_fen_and_never_above_the_cap(rule, cost):
    amount = share_of_cost_amount(rule, cost)
    assert is_fen(amount)
    assert amount > 0 or Decimal(cost) * rule.rate < Decimal("0.005")
    assert amount <= Decimal(cost)  # a rate is at most 100 %
    exact = Decimal(cost) * rule.rate
    if rule.cap is not None and exact >= rule.cap:
        assert amount == rule.cap  # a capped amount is exactly the cap
    else:
        assert abs(amount - exact) <= Decimal("0.005")
    if rule.cap is not None:
        assert amount <= rule.cap


@given(rule=share_rules() | st.just(WUCHENG_FIT_OUT), cost=money, more=money)
def test_a_larger_cost_never_earns_less(rule, cost, more):
    assert share_of_cost_amount(rule, cost + more) >= share_of_cost_amount(rule, cost)


@given(cost=money)
def test_wucheng_fit_out_is_half_the_cost_up_to_a_million(cost):
    """按照实际装修设计费用给予50%的一次性补助，最高100万元."""
    amount = share_of_cost_amount(WUCHENG_FIT_OUT, cost)
    half = (cost / 2).quantize(CENT, rounding="ROUND_HALF_UP")
    assert amount == min(half, Decimal("1000000.00"))


@given(
    rule=share_rules(),
    cost=st.integers(-(10**9), 0) | cents(0, 0) | cents(0, 10**6).map(lambda d: -d),
)
def test_a_cost_of_zero_or_less_is_refused_not_paid_as_zero(rule, cost):
    with pytest.raises(SubsidyError):
        share_of_cost_amount(rule, cost)


@given(rule=share_rules(), cost=st.floats(0.01, 1e9) | st.text(max_size=6) | st.booleans())
def test_a_cost_that_is_not_an_amount_is_refused(rule, cost):
    with pytest.raises(SubsidyError):
        share_of_cost_amount(rule, cost)


@given(rule=head_rules(), cost=money)
def test_a_rule_is_only_computed_the_way_its_kind_says(rule, cost):
    with pytest.raises(SubsidyError):
        share_of_cost_amount(rule, cost)
    share = SubsidyRule(code="s", name="s", kind=SubsidyKind.SHARE_OF_COST, rate=Decimal(1))
    with pytest.raises(SubsidyError):
        per_head_amount(share, 1, year=1)


# Per head ----------------------------------------------------------------------------------------


heads = st.integers(1, 10**6)


@given(rule=head_rules() | st.just(WUCHENG_TRAINING), n=heads, year=st.integers(1, 8))
def test_per_head_is_amount_times_heads_capped_and_nothing_after_the_last_year(rule, n, year):
    amount = per_head_amount(rule, n, year=year)
    assert is_fen(amount) and amount >= 0
    if year > rule.years:
        assert amount == 0
        return
    uncapped = rule.amount_per_unit * n
    if rule.annual_cap is not None:
        assert amount == min(uncapped, rule.annual_cap)
    else:
        assert amount == uncapped


@given(rule=head_rules() | st.just(WUCHENG_TRAINING), n=heads, more=heads, year=st.integers(1, 5))
def test_more_people_trained_never_earn_less(rule, n, more, year):
    assert per_head_amount(rule, n + more, year=year) >= per_head_amount(rule, n, year=year)


@given(rule=head_rules(), n=st.integers(-(10**6), 0), year=st.integers(1, 5))
def test_a_head_count_of_zero_or_less_is_refused(rule, n, year):
    with pytest.raises(SubsidyError):
        per_head_amount(rule, n, year=year)


@given(rule=head_rules(), year=st.integers(-5, 0) | st.just(True) | st.just(1.0))
def test_a_year_that_is_not_a_programme_year_is_refused(rule, year):
    with pytest.raises(SubsidyError):
        per_head_amount(rule, 10, year=year)


@given(n=heads)
def test_wucheng_training_pays_2000_a_head_up_to_a_million_a_year_for_three_years(n):
    """前三年按照培养的人才数给予2000元/人的奖励，每年最高奖励100万元."""
    for year in (1, 2, 3):
        expected = min(Decimal(2000) * n, Decimal(1_000_000))
        assert per_head_amount(WUCHENG_TRAINING, n, year=year) == expected
    assert per_head_amount(WUCHENG_TRAINING, n, year=4) == 0


# Yearly schedule ---------------------------------------------------------------------------------


head_counts = st.lists(st.integers(0, 10**6), min_size=0, max_size=8)


@given(rule=head_rules() | st.just(WUCHENG_TRAINING), counts=head_counts)
def test_the_schedule_has_one_row_a_year_and_its_total_is_their_sum(rule, counts):
    rows = yearly_schedule(rule, counts)
    assert [r.year for r in rows] == list(range(1, len(counts) + 1))
    assert [r.heads for r in rows] == counts
    total = schedule_total(rows)
    assert total == sum((r.amount for r in rows), Decimal(0))
    assert is_fen(total) and total >= 0


@given(rule=head_rules() | st.just(WUCHENG_TRAINING), counts=head_counts)
def test_the_schedule_never_pays_beyond_the_caps_or_the_years(rule, counts):
    rows = yearly_schedule(rule, counts)
    for row in rows:
        assert is_fen(row.amount) and 0 <= row.amount <= row.uncapped
        assert row.uncapped == rule.amount_per_unit * row.heads
        assert row.eligible == (row.year <= rule.years)
        if not row.eligible:
            assert row.amount == 0 and not row.capped
        if rule.annual_cap is not None:
            assert row.amount <= rule.annual_cap
        assert row.capped == (row.eligible and row.amount < row.uncapped)
        if row.eligible and row.heads:
            assert row.amount == per_head_amount(rule, row.heads, year=row.year)
    if rule.annual_cap is not None:
        assert schedule_total(rows) <= rule.annual_cap * rule.years


@given(rule=head_rules(), counts=head_counts, year=st.integers(0, 7), more=heads)
def test_training_more_in_one_year_never_lowers_the_total(rule, counts, year, more):
    assume(year < len(counts))
    bigger = list(counts)
    bigger[year] += more
    assert schedule_total(yearly_schedule(rule, bigger)) >= schedule_total(
        yearly_schedule(rule, counts)
    )


@given(rule=head_rules(), counts=head_counts, bad=st.integers(-(10**6), -1), at=st.integers(0, 7))
def test_a_negative_head_count_in_a_schedule_is_refused(rule, counts, bad, at):
    broken = list(counts)
    broken.insert(min(at, len(broken)), bad)
    with pytest.raises(SubsidyError):
        yearly_schedule(rule, broken)


# Combining claims --------------------------------------------------------------------------------


@st.composite
def claim_sets(draw):
    """A few rules (unique codes, some sharing an exclusivity group) and claims of them: the
    same rule may be claimed several times, with or without a year."""
    rules = []
    for i in range(draw(st.integers(1, 4))):
        strategy = share_rules(f"r{i}") if draw(st.booleans()) else head_rules(f"r{i}")
        rules.append(draw(strategy))
    claims = []
    for _ in range(draw(st.integers(0, 6))):
        rule = draw(st.sampled_from(rules))
        year = draw(st.none() | st.integers(1, 4))
        claims.append(Claim(rule, draw(cents(0, 10**8)), year))
    return claims


def refusal_expected(claims) -> bool:
    """When `combine` must refuse, restated from its docstring."""
    seen = set()
    for claim in claims:
        key = (
            claim.rule.code,
            None if claim.rule.kind == SubsidyKind.SHARE_OF_COST else claim.year,
        )
        if key in seen:
            return True  # the same one-off twice, or a per-person reward twice for one year
        seen.add(key)
        if claim.rule.kind == SubsidyKind.PER_HEAD and claim.year is None:
            return True
    groups: dict[str, set[str]] = {}
    for claim in claims:
        if claim.rule.exclusivity_group:
            groups.setdefault(claim.rule.exclusivity_group, set()).add(claim.rule.code)
    return any(len(codes) > 1 for codes in groups.values())


@given(claims=claim_sets(), rnd=st.randoms(use_true_random=False))
def test_combine_refuses_exactly_the_documented_cases_whatever_the_order(claims, rnd):
    shuffled = list(claims)
    rnd.shuffle(shuffled)
    for attempt in (claims, shuffled):
        if refusal_expected(attempt):
            with pytest.raises(SubsidyError):
                combine(attempt)
        else:
            combined = combine(attempt)
            assert combined.claims == tuple(attempt)
            assert combined.total == sum((c.amount for c in attempt), Decimal(0))


@given(first=share_rules("a"), second=head_rules("b"), amount=money, year=st.integers(1, 3))
def test_two_exclusive_rewards_are_refused_naming_both(first, second, amount, year):
    """不可同时享受: the refusal names both rules; which one to keep is the applicant's choice."""
    first = SubsidyRule(**{**first.__dict__, "exclusivity_group": "talent"})
    second = SubsidyRule(**{**second.__dict__, "exclusivity_group": "talent"})
    for claims in (
        [Claim(first, amount), Claim(second, amount, year)],
        [Claim(second, amount, year), Claim(first, amount)],
    ):
        with pytest.raises(ExclusiveRewards) as excinfo:
            combine(claims)
        assert {excinfo.value.first.code, excinfo.value.second.code} == {"a", "b"}
        assert first.name in excinfo.value.message and second.name in excinfo.value.message


@given(rule=head_rules(), counts=st.lists(st.integers(1, 10**4), min_size=1, max_size=5))
def test_a_reward_claimed_once_a_year_combines_to_its_schedule_total(rule, counts):
    rows = yearly_schedule(rule, counts)
    combined = combine(Claim(rule, row.amount, row.year) for row in rows)
    assert combined.total == schedule_total(rows)
