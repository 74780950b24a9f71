"""The acceptance rubric, sheet checks, panel total and plaque numbering: no database."""

from decimal import Decimal

import pytest
from django.utils import translation

from workflow.rules import acceptance as rules
from workflow.rules.draw import DrawImpossible

FULL = {i.code: str(i.weight) for i in rules.RUBRIC}


def test_weights_sum_to_100_and_codes_are_unique():
    assert sum(i.weight for i in rules.RUBRIC) == 100
    assert len({i.code for i in rules.RUBRIC}) == len(rules.RUBRIC) >= 4
    assert rules.PASS_MARK == 60


def test_labels_are_translatable():
    with translation.override("en"):
        labels = [str(i.label) for i in rules.RUBRIC]
    assert "Management and safety" in labels


def test_a_full_sheet_is_valid_and_totals_100():
    assert rules.sheet_problems(FULL, "专家甲") == []
    assert rules.sheet_total(FULL) == Decimal("100.00")


@pytest.mark.parametrize("mark", ["-1", "30.01", "abc", "nan", "inf", "1e400", "12.345", 12.5])
def test_marks_out_of_range_or_malformed_are_refused(mark):
    sheet = {**FULL, "targets": mark}
    with translation.override("en"):
        problems = rules.sheet_problems(sheet, "Expert A")
    assert len(problems) == 1
    assert "Expert A" in problems[0]
    assert "from 0 to 30" in problems[0]


def test_zero_and_the_weight_itself_are_allowed():
    assert rules.sheet_problems({**FULL, "targets": "0"}) == []
    assert rules.sheet_problems({**FULL, "targets": 30}) == []
    assert rules.sheet_problems({**FULL, "targets": Decimal("29.50")}) == []


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_every_indicator_must_be_marked(empty):
    sheet = dict(FULL)
    sheet["funding"] = empty
    with translation.override("en"):
        problems = rules.sheet_problems(sheet, "Expert A")
    assert problems == ["Expert A: no mark for “Funding in place and spent as planned”."]
    del sheet["funding"]
    assert len(rules.sheet_problems(sheet, "Expert A")) == 1


def test_unknown_indicator_and_non_mapping_are_refused():
    assert len(rules.sheet_problems({**FULL, "bribe": "5"})) == 1
    assert len(rules.sheet_problems(["30"])) == 1  # type: ignore[arg-type]


def test_panel_needs_every_member_and_nobody_else():
    panel = {"1": "甲", "2": "乙", "3": "丙"}
    assert rules.panel_problems({"1": FULL, "2": FULL, "3": FULL}, panel) == []
    with translation.override("en"):
        missing = rules.panel_problems({"1": FULL, "2": FULL}, panel)
        extra = rules.panel_problems({"1": FULL, "2": FULL, "3": FULL, "9": FULL}, panel)
    assert missing == ["The sheet of 丙 is missing."]
    assert extra == ["Expert 9 is not on this acceptance panel."]


def test_panel_total_is_the_mean_rounded_half_up():
    assert rules.panel_total([Decimal("60"), Decimal("61")]) == Decimal("60.50")
    assert rules.panel_total([Decimal("70"), Decimal("70"), Decimal("70.01")]) == Decimal("70.00")
    assert rules.panel_total([Decimal("59.99"), Decimal("60"), Decimal("60")]) == Decimal("60.00")
    assert rules.panel_total([Decimal("1"), Decimal("1"), Decimal("0.02")]) == Decimal("0.67")
    with pytest.raises(ValueError):
        rules.panel_total([])


def test_outcome_at_the_pass_mark():
    assert rules.passes(Decimal("60.00"))
    assert not rules.passes(Decimal("59.99"))


def test_normalised_sheets_keep_two_decimals_in_rubric_order():
    stored = rules.normalised_sheets({1: {**FULL, "targets": 25}})
    assert list(stored) == ["1"]
    assert list(stored["1"]) == [i.code for i in rules.RUBRIC]
    assert stored["1"]["targets"] == "25.00"
    assert rules.sheet_total(stored["1"]) == Decimal("95.00")


def test_panel_draw_is_reproducible_and_respects_exclusions():
    pool = list(range(1, 21))
    first = rules.acceptance_panel("seed-a", pool, [3, 4], 5)
    assert first == rules.acceptance_panel("seed-a", list(reversed(pool)), [4, 3], 5)
    assert len(set(first)) == 5 and not {3, 4} & set(first)
    assert rules.acceptance_panel("seed-b", pool, [3, 4], 5) != first
    with pytest.raises(DrawImpossible):
        rules.acceptance_panel("seed-a", range(1, 7), [1, 2], 5)


def test_panel_size_follows_the_review_rule():
    assert rules.panel_size_problems(5) == []
    assert rules.panel_size_problems(7) == []
    assert rules.panel_size_problems(4)
    assert rules.panel_size_problems(3)


def test_plaque_numbers_and_patterns():
    pattern = "产教融合省级〔{year}〕{seq:03d}号"
    assert rules.pattern_problems(pattern) == []
    assert rules.plaque_number(pattern, 2026, 1) == "产教融合省级〔2026〕001号"
    assert rules.plaque_number(pattern, 2026, 1234) == "产教融合省级〔2026〕1234号"
    for bad in ["无序号〔{year}〕", "{seq:s}", "{0}", "{seq.x}", "{year}{seq}{other}", "{seq"]:
        assert rules.pattern_problems(bad), bad
