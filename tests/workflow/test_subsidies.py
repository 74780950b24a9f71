"""Subsidy rules as data, with Wucheng's figures (seed 000, 五(二)) worked by hand."""

import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory
from workflow.models import SubsidyRule as SubsidyRuleRow
from workflow.rules.subsidies import (
    WUCHENG_FIT_OUT,
    WUCHENG_RULES,
    WUCHENG_TALENT_GROUP,
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


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


RECRUITMENT = SubsidyRule(
    code="market_recruitment",
    name="市场化引才奖励",
    kind=SubsidyKind.PER_HEAD,
    amount_per_unit=D("5000"),
    years=1,
    exclusivity_group=WUCHENG_TALENT_GROUP,
)

# 装修设计费用 50% 一次性补助，最高 100 万元 ------------------------------------------------


def test_fit_out_half_of_cost():
    assert share_of_cost_amount(WUCHENG_FIT_OUT, D("1200000")) == D("600000.00")


def test_fit_out_capped_at_one_million():
    assert share_of_cost_amount(WUCHENG_FIT_OUT, D("3000000")) == D("1000000.00")


def test_fit_out_exactly_at_the_cap():
    assert share_of_cost_amount(WUCHENG_FIT_OUT, 2_000_000) == D("1000000.00")


def test_fit_out_rounds_half_up_to_the_fen():
    # 12,345.67 × 50% = 6,172.835, rounded half up to the fen: 6,172.84
    assert share_of_cost_amount(WUCHENG_FIT_OUT, D("12345.67")) == D("6172.84")


@pytest.mark.parametrize("cost", [D("0"), 0, D("-1"), D("-1200000")])
def test_fit_out_zero_or_negative_cost_refused(cost):
    with pytest.raises(SubsidyError, match="must be greater than zero"):
        share_of_cost_amount(WUCHENG_FIT_OUT, cost)


def test_fit_out_float_cost_refused():
    with pytest.raises(SubsidyError, match="amount in yuan"):
        share_of_cost_amount(WUCHENG_FIT_OUT, 1200000.0)


# 前三年 2000 元/人，每年最高 100 万元 ---------------------------------------------------------


def test_training_600_people_capped_in_that_year():
    assert D(2000) * 600 == D("1200000")
    assert per_head_amount(WUCHENG_TRAINING, 600, year=1) == D("1000000.00")


def test_training_300_people():
    assert per_head_amount(WUCHENG_TRAINING, 300, year=2) == D("600000.00")


def test_training_third_year_still_pays_and_fourth_year_pays_nothing():
    assert per_head_amount(WUCHENG_TRAINING, 300, year=3) == D("600000.00")
    assert per_head_amount(WUCHENG_TRAINING, 300, year=4) == D("0.00")


@pytest.mark.parametrize("heads", [0, -1, -300])
def test_training_zero_or_negative_heads_refused(heads):
    with pytest.raises(SubsidyError, match=r"number of people .* must be greater than zero"):
        per_head_amount(WUCHENG_TRAINING, heads, year=1)


@pytest.mark.parametrize("year", [0, -1])
def test_training_year_before_the_first_refused(year):
    with pytest.raises(SubsidyError, match="programme year"):
        per_head_amount(WUCHENG_TRAINING, 300, year=year)


def test_fractional_heads_refused():
    with pytest.raises(SubsidyError, match="whole number"):
        per_head_amount(WUCHENG_TRAINING, 2.5, year=1)


def test_wrong_kind_refused():
    with pytest.raises(SubsidyError, match="not computed this way"):
        per_head_amount(WUCHENG_FIT_OUT, 300, year=1)
    with pytest.raises(SubsidyError, match="not computed this way"):
        share_of_cost_amount(WUCHENG_TRAINING, D("1000"))


def test_yearly_schedule_over_four_years():
    rows = yearly_schedule(WUCHENG_TRAINING, [600, 300, 0, 450])
    assert [(r.year, r.heads, r.amount) for r in rows] == [
        (1, 600, D("1000000.00")),
        (2, 300, D("600000.00")),
        (3, 0, D("0.00")),
        (4, 450, D("0.00")),
    ]
    assert [r.capped for r in rows] == [True, False, False, False]
    assert [r.eligible for r in rows] == [True, True, True, False]
    assert rows[0].uncapped == D("1200000.00")
    assert schedule_total(rows) == D("1600000.00")


def test_yearly_schedule_refuses_negative_heads():
    with pytest.raises(SubsidyError, match="greater than zero"):
        yearly_schedule(WUCHENG_TRAINING, [300, -1])


# 培养奖励与市场化引才奖励不可同时享受 -------------------------------------------------------


def test_mutually_exclusive_rewards_refused_naming_both():
    claims = [
        Claim(WUCHENG_TRAINING, per_head_amount(WUCHENG_TRAINING, 300, year=1), year=1),
        Claim(RECRUITMENT, per_head_amount(RECRUITMENT, 10, year=1), year=1),
    ]
    with pytest.raises(ExclusiveRewards) as refused:
        combine(claims)
    message = refused.value.message
    assert "产业人才学院培养奖励" in message
    assert "市场化引才奖励" in message
    assert "mutually exclusive" in message
    assert {refused.value.first.code, refused.value.second.code} == {
        "wucheng_training",
        "market_recruitment",
    }


def test_fit_out_and_training_combine():
    claims = [
        Claim(WUCHENG_FIT_OUT, share_of_cost_amount(WUCHENG_FIT_OUT, D("1200000"))),
        *(
            Claim(WUCHENG_TRAINING, row.amount, year=row.year)
            for row in yearly_schedule(WUCHENG_TRAINING, [600, 300, 300])
        ),
    ]
    combined = combine(claims)
    assert combined.total == D("600000") + D("1000000") + D("600000") + D("600000")
    assert len(combined.claims) == 4


def test_one_off_subsidy_claimed_twice_refused():
    claim = Claim(WUCHENG_FIT_OUT, D("600000.00"))
    with pytest.raises(SubsidyError, match="one-off"):
        combine([claim, claim])


def test_same_year_of_a_reward_claimed_twice_refused():
    claim = Claim(WUCHENG_TRAINING, D("600000.00"), year=2)
    with pytest.raises(SubsidyError, match="more than once for year 2"):
        combine([claim, claim])


def test_per_head_claim_without_a_year_refused():
    with pytest.raises(SubsidyError, match="which programme year"):
        combine([Claim(WUCHENG_TRAINING, D("600000.00"))])


def test_combine_nothing_is_zero():
    assert combine([]).total == D("0.00")


# Rules as data: unsound figures are refused ----------------------------------------------------


@pytest.mark.parametrize(
    ("figures", "message"),
    [
        ({"kind": SubsidyKind.SHARE_OF_COST}, "needs a rate"),
        ({"kind": SubsidyKind.SHARE_OF_COST, "rate": D("0")}, "rate must be"),
        ({"kind": SubsidyKind.SHARE_OF_COST, "rate": D("1.5")}, "rate must be"),
        ({"kind": SubsidyKind.SHARE_OF_COST, "rate": D("0.5"), "cap": D("0")}, "cap must"),
        ({"kind": SubsidyKind.SHARE_OF_COST, "rate": D("0.5"), "years": 3}, "no amount per"),
        ({"kind": SubsidyKind.PER_HEAD, "years": 3}, "needs an amount per person"),
        ({"kind": SubsidyKind.PER_HEAD, "amount_per_unit": D("2000")}, "needs a number of"),
        ({"kind": SubsidyKind.PER_HEAD, "amount_per_unit": D("-1"), "years": 3}, "per person"),
        ({"kind": SubsidyKind.PER_HEAD, "amount_per_unit": D("1"), "years": 0}, "years must"),
        (
            {"kind": SubsidyKind.PER_HEAD, "amount_per_unit": D("1"), "years": 1, "rate": D("1")},
            "no rate",
        ),
        ({"kind": "lump_sum"}, "Unknown kind"),
    ],
)
def test_unsound_rule_refused(figures, message):
    with pytest.raises(SubsidyError, match=message):
        SubsidyRule(code="x", name="x", **figures)


# The table: loaded rules compute the same as the dataclasses -----------------------------------


@pytest.mark.django_db
def test_load_command_is_idempotent_and_round_trips():
    call_command("load_subsidy_rules", stdout=io.StringIO())
    call_command("load_subsidy_rules", stdout=io.StringIO())
    assert SubsidyRuleRow.objects.count() == len(WUCHENG_RULES)
    loaded = {row.code: row.as_rule() for row in SubsidyRuleRow.objects.all()}
    assert loaded == {rule.code: rule for rule in WUCHENG_RULES}
    fit_out, training = loaded["wucheng_fit_out"], loaded["wucheng_training"]
    for cost in (D("1200000"), D("3000000"), D("12345.67")):
        assert share_of_cost_amount(fit_out, cost) == share_of_cost_amount(WUCHENG_FIT_OUT, cost)
    assert yearly_schedule(training, [600, 300, 300, 300]) == yearly_schedule(
        WUCHENG_TRAINING, [600, 300, 300, 300]
    )
    assert share_of_cost_amount(fit_out, D("1200000")) == D("600000.00")
    assert per_head_amount(training, 600, year=1) == D("1000000.00")


@pytest.mark.django_db
def test_load_command_restores_edited_figures_and_keeps_active_flag():
    call_command("load_subsidy_rules", stdout=io.StringIO())
    SubsidyRuleRow.objects.filter(code="wucheng_fit_out").update(cap=D("5"), active=False)
    call_command("load_subsidy_rules", stdout=io.StringIO())
    row = SubsidyRuleRow.objects.get(code="wucheng_fit_out")
    assert row.cap == D("1000000.00")
    assert row.active is False


@pytest.mark.django_db
def test_model_clean_uses_the_same_checks():
    row = SubsidyRuleRow(code="bad", name="bad", kind=SubsidyKind.PER_HEAD, years=3)
    with pytest.raises(ValidationError, match="needs an amount per person"):
        row.full_clean()


@pytest.mark.django_db
def test_admin_lists_and_refuses_deletion(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    call_command("load_subsidy_rules", stdout=io.StringIO())
    page = client.get(reverse("admin:workflow_subsidyrule_changelist"))
    assert page.status_code == 200
    assert "产业人才学院培养奖励" in page.content.decode()
    row = SubsidyRuleRow.objects.get(code="wucheng_fit_out")
    response = client.post(
        reverse("admin:workflow_subsidyrule_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert SubsidyRuleRow.objects.filter(pk=row.pk).exists()
