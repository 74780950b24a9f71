"""The scoring arithmetic as plain functions: no database. Expected values are worked by hand."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import translation

from workflow.choices import Aggregation
from workflow.rules.scoring import (
    JudgedItem,
    Mark,
    RankEntry,
    TieBreak,
    abnormal_direction,
    aggregate,
    dispersion_flags,
    is_abnormal,
    mean,
    median,
    proportional_scores,
    propose_shortlist,
    rank,
    sheet_problems,
    sheet_total,
    trimmed_mean,
)

# Quantitative indicators: 最高者得满分，其余按比例赋分 ----------------------------------


@pytest.fixture(autouse=True)
def _english(_chinese_by_default):
    """The messages are asserted by their English msgids, whatever the catalogue says."""
    with translation.override("en"):
        yield


def test_highest_value_gets_full_weight_others_in_proportion():
    # weight 3; best 80 → 3; 60 → 3 × 60/80 = 2.25; 0 → 0
    assert proportional_scores({"a": D(80), "b": D(60), "c": D(0)}, D(3)) == {
        "a": D("3.00"),
        "b": D("2.25"),
        "c": D("0.00"),
    }


def test_proportional_scores_round_half_up_to_two_decimals():
    # weight 2: 2 × 1/3 = 0.666… → 0.67; 2 × 2/3 = 1.333… → 1.33; weight 3 × 1/8 = 0.375 → 0.38
    assert proportional_scores({"a": D(3), "b": D(1), "c": D(2)}, D(2)) == {
        "a": D("2.00"),
        "b": D("0.67"),
        "c": D("1.33"),
    }
    assert proportional_scores({"a": D(8), "b": D(1)}, D(3))["b"] == D("0.38")


def test_all_zero_gives_zero():
    assert proportional_scores({"a": D(0), "b": D(0)}, D(4)) == {"a": D("0.00"), "b": D("0.00")}


def test_lower_is_better_lowest_gets_full_weight():
    # weight 5; lowest 2 → 5; 4 → 5 × 2/4 = 2.5; 5 → 5 × 2/5 = 2
    assert proportional_scores({"a": D(2), "b": D(4), "c": D(5)}, D(5), lower_is_better=True) == {
        "a": D("5.00"),
        "b": D("2.50"),
        "c": D("2.00"),
    }


def test_lower_is_better_with_zero():
    # Those at 0 are best and get the full weight, the others 5 × 0/v = 0; all at 0 are all best.
    assert proportional_scores({"a": D(0), "b": D(3)}, D(5), lower_is_better=True) == {
        "a": D("5.00"),
        "b": D("0.00"),
    }
    assert proportional_scores({"a": D(0), "b": D(0)}, D(5), lower_is_better=True) == {
        "a": D("5.00"),
        "b": D("5.00"),
    }


def test_no_values_and_negative_values():
    assert proportional_scores({}, D(5)) == {}
    with pytest.raises(ValueError):
        proportional_scores({"a": D(-1)}, D(5))


# Aggregation --------------------------------------------------------------------------------------


def test_sheet_total_is_the_sum_of_points():
    assert sheet_total([D("7.50"), D("8"), D("6.25")]) == D("21.75")


def test_trimmed_mean_with_five_sheets_drops_highest_and_lowest():
    # 70 and 99 dropped: (80 + 82 + 85) / 3 = 82.333… → 82.33
    assert trimmed_mean([D(99), D(80), D(70), D(85), D(82)]) == D("82.33")


def test_trimmed_mean_with_four_sheets_is_the_plain_mean():
    # (70 + 80 + 85 + 99) / 4 = 83.5
    assert trimmed_mean([D(70), D(80), D(85), D(99)]) == D("83.50")
    assert trimmed_mean([D(70), D(80), D(85), D(99)]) == mean([D(70), D(80), D(85), D(99)])


def test_median_and_mean():
    assert median([D(70), D(80), D(85), D(99), D(82)]) == D("82.00")
    assert median([D(70), D(80), D(85), D(99)]) == D("82.50")
    assert mean([D("80.01"), D("80.02")]) == D("80.02")  # 80.015 rounds half up


def test_aggregate_dispatches_and_handles_no_sheets():
    values = [D(70), D(80), D(85), D(99), D(82)]
    assert aggregate(values, Aggregation.MEAN) == D("83.20")
    assert aggregate(values, Aggregation.MEDIAN) == D("82.00")
    assert aggregate(values, Aggregation.TRIMMED_MEAN) == D("82.33")
    assert aggregate([], Aggregation.MEAN) is None


# Checks -------------------------------------------------------------------------------------------


def test_dispersion_flags_the_sheet_far_from_the_mean():
    # mean (80 + 82 + 60) / 3 = 74: 60 is 14 away (> 10); 80 is 6 and 82 is 8 away
    assert dispersion_flags({"a": D(80), "b": D(82), "c": D(60)}, D(10)) == {"c"}


def test_dispersion_margin_is_strict_and_needs_a_panel():
    assert dispersion_flags({"a": D(70), "b": D(90)}, D(10)) == set()  # both exactly 10 away
    assert dispersion_flags({"a": D(70), "b": D("90.01")}, D(10)) == {"a", "b"}
    assert dispersion_flags({"a": D(10)}, D(1)) == set()


def test_abnormal_marks_by_default_below_60_or_above_95_percent():
    bounds = {"low_ratio": D("0.60"), "high_ratio": D("0.95")}
    assert abnormal_direction(D("4.79"), D(8), **bounds) == "low"  # 60 % of 8 is 4.8
    assert abnormal_direction(D("4.80"), D(8), **bounds) is None
    assert abnormal_direction(D("7.60"), D(8), **bounds) is None  # 95 % of 8 is 7.6
    assert abnormal_direction(D("7.61"), D(8), **bounds) == "high"
    assert not is_abnormal(D(0), D(0), **bounds)


def test_sheet_problems_name_the_indicator():
    items = [JudgedItem("1.1", "实训条件", D(8)), JudgedItem("1.2", "师资", D(9))]
    bounds = {"low_ratio": D("0.60"), "high_ratio": D("0.95")}
    problems = sheet_problems(items, {"1.1": Mark(D(8))}, **bounds)
    assert len(problems) == 2
    assert "“1.1 实训条件”" in problems[0]  # full marks: unusually high without a comment
    assert "“1.2 师资”" in problems[1]  # no mark
    ok = {"1.1": Mark(D(8), "设备先进，已有虚拟仿真系统"), "1.2": Mark(D(7))}
    assert sheet_problems(items, ok, **bounds) == []
    out_of_range = sheet_problems(items, {**ok, "1.2": Mark(D(10))}, **bounds)
    assert len(out_of_range) == 1 and "9" in out_of_range[0]
    too_precise = sheet_problems(items, {**ok, "1.2": Mark(D("7.125"))}, **bounds)
    assert len(too_precise) == 1


# Ranking ------------------------------------------------------------------------------------------

T = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def entry(key, total, judged=None, minutes=0, vetoed=False):
    return RankEntry(
        key=key,
        total=D(total),
        judged=D(judged if judged is not None else total),
        submitted_at=T + dt.timedelta(minutes=minutes),
        vetoed=vetoed,
    )


def test_rank_by_total_then_judged_part():
    ranked = rank([entry(1, 80, 70), entry(2, 90), entry(3, 80, 75)])
    assert [r.entry.key for r in ranked] == [2, 3, 1]
    assert [r.rank for r in ranked] == [1, 2, 3]
    assert [r.decided_by for r in ranked] == [None, TieBreak.TOTAL, TieBreak.JUDGED]


def test_rank_tie_break_on_level1_indicators_in_order():
    level1 = {1: [D(20), D(30)], 2: [D(20), D(31)], 3: [D(21), D(29)]}
    asked = []

    def vector(key):
        asked.append(key)
        return level1[key]

    ranked = rank([entry(1, 80), entry(2, 80), entry(3, 80), entry(4, 95)], vector)
    assert [r.entry.key for r in ranked] == [4, 3, 2, 1]
    assert ranked[2].decided_by == TieBreak.LEVEL1 and ranked[2].level1_index == 0
    assert ranked[3].decided_by == TieBreak.LEVEL1 and ranked[3].level1_index == 1
    assert sorted(asked) == [1, 2, 3]  # the untied application is never asked about


def test_rank_tie_break_on_submission_then_id():
    same = lambda key: [D(10)]  # noqa: E731
    ranked = rank([entry(5, 80, minutes=3), entry(7, 80, minutes=1), entry(6, 80, minutes=3)], same)
    assert [r.entry.key for r in ranked] == [7, 5, 6]
    assert [r.decided_by for r in ranked] == [None, TieBreak.SUBMITTED_AT, TieBreak.ID]


def test_vetoed_rank_last_and_are_never_proposed():
    ranked = rank([entry(1, 99, vetoed=True), entry(2, 60), entry(3, 70)])
    assert [r.entry.key for r in ranked] == [3, 2, 1]
    assert ranked[2].decided_by == TieBreak.VETO
    assert propose_shortlist(ranked, 2) == [3, 2]
    assert propose_shortlist(ranked, 5) == [3, 2]
    assert propose_shortlist(ranked, 0) == []


def test_rank_is_deterministic_whatever_the_input_order():
    entries = [entry(k, 80 + k % 3, minutes=k % 2) for k in range(1, 30)]
    first = [r.entry.key for r in rank(entries, lambda k: [D(k % 4)])]
    second = [r.entry.key for r in rank(list(reversed(entries)), lambda k: [D(k % 4)])]
    assert first == second
