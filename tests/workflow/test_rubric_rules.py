"""Rubric tree validation and the sample rubrics: plain values, no database."""

from dataclasses import replace
from decimal import Decimal as D

import pytest
from django.utils import translation

from workflow.rubrics_data import SAMPLES, SHANXI, SHAOXING
from workflow.rules.rubric import IndicatorSpec, depth_first, leaves, tree_problems


@pytest.fixture(autouse=True)
def _english(_chinese_by_default):
    """The messages are asserted by their English msgids, whatever the catalogue says."""
    with translation.override("en"):
        yield


def spec(code, weight, level=1, parent=None, kind="judged", **kw):
    return IndicatorSpec(
        code=code, name=f"指标{code}", level=level, weight=D(weight), kind=kind, parent=parent, **kw
    )


VALID = [
    spec("1", "60"),
    spec("1.1", "25", 2, "1"),
    spec("1.2", "35", 2, "1", kind="quantitative", lower_is_better=True),
    spec("2", "40"),
    spec("2.1", "40", 2, "2"),
    spec("2.1.1", "40", 3, "2.1"),
    spec("V", "0", kind="veto"),
]


def test_a_valid_tree_has_no_problems():
    assert tree_problems(VALID) == []


def test_leaf_weights_must_total_100():
    tree = [*VALID[:-1], spec("3", "5")]
    problems = tree_problems(tree)
    assert problems == ["The scoring indicators total 105 points; they must total exactly 100."]


def test_a_heading_weighs_the_sum_of_its_children_and_the_message_names_it():
    tree = [replace(s, weight=D(30)) if s.code == "1.1" else s for s in VALID]
    problems = tree_problems(tree)
    assert any("“1 指标1”" in p and "65" in p for p in problems), problems


def test_levels_and_parents():
    problems = tree_problems([spec("1", "100"), spec("1.1.1", "100", 3, "1")])
    assert any("“1.1.1 指标1.1.1”" in p and "level 2" in p for p in problems), problems
    problems = tree_problems([spec("1", "100", level=2)])
    assert any("no parent" in p for p in problems), problems
    problems = tree_problems([spec("1", "100", level=4)])
    assert any("level must be 1, 2 or 3" in p for p in problems), problems


def test_codes_weights_and_kinds():
    assert any("used twice" in p for p in tree_problems([spec("1", "50"), spec("1", "50")]))
    assert any("two decimals" in p for p in tree_problems([spec("1", "99.999")]))
    assert any("above 0" in p for p in tree_problems([spec("1", "0"), spec("2", "100")]))
    veto_with_points = tree_problems([spec("1", "90"), spec("V", "10", kind="veto")])
    assert any("“V 指标V”" in p and "veto" in p for p in veto_with_points)
    heading_kind = [spec("1", "100", kind="quantitative"), spec("1.1", "100", 2, "1")]
    assert any("heading" in p for p in tree_problems(heading_kind))
    judged_lower = [spec("1", "100", lower_is_better=True)]
    assert any("lower is better" in p for p in tree_problems(judged_lower))
    assert tree_problems([]) == ["The rubric has no indicators."]


def test_guidance_bands_lie_within_the_weight():
    bands = ({"from": "8", "to": "12", "text": "优"},)
    problems = tree_problems([spec("1", "10", guidance=bands), spec("2", "90")])
    assert any("“1 指标1”" in p and "band 1" in p for p in problems), problems
    missing_text = ({"from": "0", "to": "5"},)
    assert tree_problems([spec("1", "10", guidance=missing_text), spec("2", "90")])


def test_a_parent_loop_is_reported():
    problems = tree_problems([spec("1", "100"), spec("a", "5", 2, "b"), spec("b", "5", 2, "a")])
    assert any("“a 指标a”" in p and "loop" in p for p in problems), problems


def test_depth_first_reads_each_heading_then_its_rows():
    order = [s.code for s in depth_first(list(reversed(VALID)))]
    assert order == ["1", "1.1", "1.2", "2", "2.1", "2.1.1", "V"]
    assert [s.code for s in leaves(VALID)] == ["1.1", "1.2", "2.1.1", "V"]


# The samples ------------------------------------------------------------------------------


def test_samples_are_valid():
    for sample in SAMPLES.values():
        assert tree_problems(sample.specs) == [], sample.key


def test_shaoxing_is_annex_1_row_for_row():
    specs = {s.code: s for s in SHAOXING.specs}
    level1 = [(s.name, s.weight) for s in SHAOXING.specs if s.level == 1]
    assert level1 == [
        ("组织保障", 8),
        ("基础条件", 16),
        ("师资队伍", 10),
        ("产学合作", 38),
        ("人才培养", 6),
        ("合作发展", 22),
    ]
    scored = leaves(SHAOXING.specs)
    assert len(scored) == 44
    assert {s.kind for s in scored} == {"quantitative"}
    assert sum(s.weight for s in scored) == 100
    assert specs["4.1"].name == "专业建设" and specs["4.1"].weight == 13
    assert specs["6.1.3"].name == "直接就业毕业生留绍工作比例" and specs["6.1.3"].weight == 4
    assert specs["6.1.3"].unit == "%"


def test_shanxi_demo_rubric_covers_the_five_functions():
    level1 = [s.name for s in SHANXI.specs if s.level == 1 and s.kind != "veto"]
    assert level1[:5] == ["实训功能", "创新功能", "生产功能", "大赛功能", "评价功能"]
    kinds = {s.kind for s in leaves(SHANXI.specs)}
    assert kinds == {"judged", "quantitative", "veto"}
    for s in leaves(SHANXI.specs):
        if s.kind == "judged":
            assert len(s.guidance) == 4 and s.guidance[0]["to"] == f"{s.weight:.2f}"
