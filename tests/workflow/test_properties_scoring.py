"""Properties of the scoring arithmetic (workflow/rules/scoring.py), checked with hypothesis.

Each property is a consequence of the module docstring (汇总, 排名, Shaoxing Annex 1 赋分), written
without reusing the implementation's own helpers. No database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.workflow.strategies import CENT, cents, points
from workflow.choices import Aggregation
from workflow.rules import scoring as s

METHODS = [Aggregation.MEAN, Aggregation.MEDIAN, Aggregation.TRIMMED_MEAN]
panels = st.lists(points(), min_size=1, max_size=12)


def sum_and_count(values):
    """The exact mean as (sum, count), to compare without dividing."""
    return sum(values, Decimal(0)), len(values)


def within_half_a_cent_of(rounded: Decimal, total: Decimal, n: int) -> bool:
    """|rounded − total/n| ≤ 0.005, compared exactly (multiplied by n, no division)."""
    return abs(rounded * n - total) <= Decimal("0.005") * n


# round_points and sheet_total --------------------------------------------------------------------


@given(st.decimals(min_value=-1000, max_value=1000, allow_nan=False, places=6))
def test_round_points_is_idempotent_two_places_and_within_half_a_cent(value):
    rounded = s.round_points(value)
    assert rounded == rounded.quantize(CENT)
    assert s.round_points(rounded) == rounded
    assert abs(rounded - value) <= Decimal("0.005")


@given(st.integers(0, 99_999), st.integers(0, 9))
def test_round_points_rounds_half_up(hundredths, thousandth):
    """四舍五入: a third decimal of 5 or more goes up, below 5 stays."""
    value = Decimal(hundredths) / 100 + Decimal(thousandth) / 1000
    expected = Decimal(hundredths) / 100 + (CENT if thousandth >= 5 else 0)
    assert s.round_points(value) == expected
    half = Decimal(hundredths) / 100 + Decimal("0.005")  # exactly half a cent: always up
    assert s.round_points(half) == Decimal(hundredths) / 100 + CENT


@given(st.lists(points(20), max_size=15), st.randoms(use_true_random=False))
def test_sheet_total_is_the_exact_sum_and_order_free(marks, rnd):
    total = s.sheet_total(marks)
    assert total == sum(marks, Decimal(0))  # marks have two places: nothing to round
    shuffled = list(marks)
    rnd.shuffle(shuffled)
    assert s.sheet_total(shuffled) == total
    assert total >= 0


# Aggregation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@given(values=panels)
def test_every_aggregate_lies_between_the_lowest_and_the_highest(method, values):
    result = s.aggregate(values, method)
    assert min(values) <= result <= max(values)
    assert result == result.quantize(CENT)


@pytest.mark.parametrize("method", METHODS)
@given(values=panels, rnd=st.randoms(use_true_random=False))
def test_aggregates_do_not_depend_on_the_order_of_the_sheets(method, values, rnd):
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert s.aggregate(shuffled, method) == s.aggregate(values, method)


@pytest.mark.parametrize("method", METHODS)
@given(values=panels, shift=cents(0, 5_000))
def test_adding_a_constant_to_every_sheet_shifts_the_aggregate_by_it(method, values, shift):
    """Rounding to the cent commutes with adding a whole number of cents."""
    shifted = [v + shift for v in values]
    assert s.aggregate(shifted, method) == s.aggregate(values, method) + shift


@pytest.mark.parametrize("method", METHODS)
@given(value=points(), n=st.integers(1, 12))
def test_a_unanimous_panel_aggregates_to_its_common_total(method, value, n):
    assert s.aggregate([value] * n, method) == value


@pytest.mark.parametrize("method", METHODS)
def test_no_sheets_no_score(method):
    assert s.aggregate([], method) is None


@given(values=panels)
def test_mean_is_the_sum_over_the_count_rounded(values):
    total, n = sum_and_count(values)
    assert within_half_a_cent_of(s.mean(values), total, n)


@given(values=panels)
def test_median_has_half_the_panel_on_each_side(values):
    m = s.median(values)
    at_or_below = sum(v <= m for v in values)
    at_or_above = sum(v >= m for v in values)
    assert at_or_below * 2 >= len(values)
    assert at_or_above * 2 >= len(values)


@given(values=st.lists(points(), min_size=5, max_size=12))
@example(values=[Decimal(x) for x in ("10", "10", "20", "90", "90")])
def test_trimmed_mean_drops_exactly_one_highest_and_one_lowest(values):
    """去掉一个最高分和一个最低分 with five or more sheets: one each, even when tied."""
    rest = list(values)
    rest.remove(max(rest))
    rest.remove(min(rest))
    total, n = sum_and_count(rest)
    result = s.trimmed_mean(values)
    assert within_half_a_cent_of(result, total, n)
    # and so it lies between the second lowest and the second highest total
    ordered = sorted(values)
    assert ordered[1] <= result <= ordered[-2]


@given(values=st.lists(points(), min_size=1, max_size=4))
def test_trimmed_mean_of_a_small_panel_is_the_plain_mean(values):
    """Fewer than five sheets: nothing is trimmed."""
    assert s.trimmed_mean(values) == s.mean(values)
    assert s.aggregate(values, Aggregation.TRIMMED_MEAN) == s.aggregate(values, Aggregation.MEAN)


@given(values=st.lists(points(), min_size=5, max_size=12), outlier=cents(0, 10**8))
def test_one_outlier_cannot_move_the_trimmed_mean_beyond_the_others(values, outlier):
    """The point of trimming: a single extreme sheet, however extreme, is dropped or bounded."""
    result = s.trimmed_mean([*values, outlier])
    assert min(values) <= result <= max(values)


# Dispersion --------------------------------------------------------------------------------------


totals_by_sheet = st.dictionaries(st.integers(1, 1000), points(), min_size=0, max_size=10)


@given(totals=totals_by_sheet, margin=cents(0, 3_000))
def test_dispersion_flags_exactly_the_sheets_strictly_beyond_the_margin(totals, margin):
    flags = s.dispersion_flags(totals, margin)
    assert flags <= set(totals)
    if len(totals) < 2:
        assert flags == set()
        return
    total, n = sum(totals.values(), Decimal(0)), len(totals)
    # |t − total/n| > margin  ⇔  |n·t − total| > n·margin, all exact
    assert flags == {k for k, t in totals.items() if abs(n * t - total) > n * margin}


@given(lowest=points(), margin=cents(0, 3_000), others=st.integers(0, 6))
def test_a_sheet_exactly_the_margin_away_is_not_flagged(lowest, margin, others):
    """Strictly more than the margin: a panel symmetric around its mean, with two sheets
    exactly `margin` away, flags nobody; a cent more flags both."""
    centre = lowest + margin + CENT  # so that every total stays at 0 or more
    totals = {1: centre + margin, 2: centre - margin} | {3 + i: centre for i in range(others)}
    assert s.dispersion_flags(totals, margin) == set()
    wider = {1: centre + margin + CENT, 2: centre - margin - CENT} | {
        3 + i: centre for i in range(others)
    }
    assert s.dispersion_flags(wider, margin) == {1, 2}


@given(totals=totals_by_sheet, small=cents(0, 2_000), extra=cents(0, 2_000))
def test_a_wider_margin_never_flags_more_sheets(totals, small, extra):
    assert s.dispersion_flags(totals, small + extra) <= s.dispersion_flags(totals, small)


@given(totals=totals_by_sheet)
def test_a_margin_of_the_whole_spread_flags_nobody(totals):
    assume(totals)
    spread = max(totals.values()) - min(totals.values())
    assert s.dispersion_flags(totals, spread) == set()


@given(totals=totals_by_sheet, margin=cents(0, 3_000), shift=cents(0, 5_000))
def test_dispersion_does_not_depend_on_the_level_of_the_scores(totals, margin, shift):
    shifted = {k: v + shift for k, v in totals.items()}
    assert s.dispersion_flags(shifted, margin) == s.dispersion_flags(totals, margin)


# Quantitative indicators (Shaoxing Annex 1) ------------------------------------------------------


indicator_values = st.dictionaries(
    st.integers(1, 200), cents(0, 1_000_000), min_size=1, max_size=10
)
weights = cents(1, 3_000)


@pytest.mark.parametrize("lower_is_better", [False, True])
@given(values=indicator_values, weight=weights)
def test_proportional_scores_are_within_zero_and_the_weight(values, weight, lower_is_better):
    scores = s.proportional_scores(values, weight, lower_is_better=lower_is_better)
    assert set(scores) == set(values)
    assert all(Decimal(0) <= p <= weight and p == p.quantize(CENT) for p in scores.values())


@given(values=indicator_values, weight=weights)
def test_the_highest_value_gets_full_marks_and_the_rest_in_proportion(values, weight):
    """最高者得满分，其余按比例赋分; all zero: nobody earned anything."""
    scores = s.proportional_scores(values, weight)
    best = max(values.values())
    for key, value in values.items():
        if best == 0:
            assert scores[key] == 0
        elif value == best:
            assert scores[key] == weight
        else:
            assert within_half_a_cent_of(scores[key], weight * value, best)


@given(values=indicator_values, weight=weights)
def test_lower_is_better_gives_the_lowest_full_marks(values, weight):
    """The price formula turned round (财政部令第87号 第五十五条): base / value × weight."""
    scores = s.proportional_scores(values, weight, lower_is_better=True)
    best = min(values.values())
    for key, value in values.items():
        if value == best:
            assert scores[key] == weight
        elif best == 0:
            assert scores[key] == 0
        else:
            assert within_half_a_cent_of(scores[key], weight * best, value)


@pytest.mark.parametrize("lower_is_better", [False, True])
@given(values=indicator_values, weight=weights)
def test_a_better_value_never_gets_fewer_points(values, weight, lower_is_better):
    scores = s.proportional_scores(values, weight, lower_is_better=lower_is_better)
    for a in values:
        for b in values:
            better = values[a] < values[b] if lower_is_better else values[a] > values[b]
            if better:
                assert scores[a] >= scores[b]


@pytest.mark.parametrize("lower_is_better", [False, True])
@given(values=indicator_values, weight=weights, factor=st.integers(2, 1000))
def test_proportional_scores_do_not_depend_on_the_unit(values, weight, factor, lower_is_better):
    """Counting in 10,000 yuan or in yuan gives the same points: only ratios matter."""
    scaled = {k: v * factor for k, v in values.items()}
    assert s.proportional_scores(
        scaled, weight, lower_is_better=lower_is_better
    ) == s.proportional_scores(values, weight, lower_is_better=lower_is_better)


@given(values=indicator_values, weight=weights, extra=st.integers(201, 300))
def test_an_application_without_a_verified_value_does_not_move_the_others(values, weight, extra):
    """Absent applications neither get points nor move the best value; adding a value no better
    than the best changes nobody else's points."""
    worst = min(values.values())
    scores = s.proportional_scores(values, weight)
    more = s.proportional_scores({**values, extra: worst}, weight)
    assert {k: more[k] for k in values} == scores


@given(values=indicator_values, bad=st.integers(1, 10**6))
def test_a_negative_value_is_refused(values, bad):
    key = next(iter(values))
    with pytest.raises(ValueError):
        s.proportional_scores({**values, key: Decimal(-bad) * CENT}, Decimal(10))


# Ranking -----------------------------------------------------------------------------------------

BASE_TIME = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


@st.composite
def rank_inputs(draw):
    """Entries with deliberately many ties (few distinct totals) and level-1 vectors."""
    n = draw(st.integers(0, 12))
    keys = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    n_level1 = draw(st.integers(0, 3))
    small = st.sampled_from([Decimal("60.00"), Decimal("70.50"), Decimal("80.00")])
    entries, vectors = [], {}
    for key in keys:
        judged = draw(small)
        quantitative = draw(st.sampled_from([Decimal("0.00"), Decimal("9.50")]))
        minutes = draw(st.none() | st.integers(0, 3))
        entries.append(
            s.RankEntry(
                key=key,
                total=judged + quantitative,
                judged=judged,
                submitted_at=None if minutes is None else BASE_TIME + dt.timedelta(minutes=minutes),
                vetoed=draw(st.booleans()) and draw(st.booleans()),
            )
        )
        vectors[key] = tuple(draw(small) for _ in range(n_level1))
    return entries, vectors


def documented_key(entry: s.RankEntry, vectors):
    """The ranking rules of the module docstring, as one sort key (smaller ranks higher)."""
    return (
        entry.vetoed,  # 1. vetoed after all others
        -entry.total,  # 2. higher total
        -entry.judged,  # 3. higher expert-judged score
        tuple(-v for v in vectors[entry.key]),  # 4. level-1 indicators, one by one
        entry.submitted_at is None,  # 5. earlier submission (an unknown time last)
        entry.submitted_at or BASE_TIME,
        entry.key,  # 6. lower application number
    )


@given(data=rank_inputs(), rnd=st.randoms(use_true_random=False))
def test_rank_is_a_deterministic_permutation_in_the_documented_order(data, rnd):
    entries, vectors = data
    ranked = s.rank(entries, lambda key: vectors[key])
    assert [r.rank for r in ranked] == list(range(1, len(entries) + 1))
    assert sorted(r.entry.key for r in ranked) == sorted(e.key for e in entries)
    expected = sorted(entries, key=lambda e: documented_key(e, vectors))
    assert [r.entry for r in ranked] == expected
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert s.rank(shuffled, lambda key: vectors[key]) == ranked


@given(data=rank_inputs())
def test_each_row_says_truthfully_why_it_stands_below_the_one_above(data):
    entries, vectors = data
    ranked = s.rank(entries, lambda key: vectors[key])
    if ranked:
        assert ranked[0].decided_by is None
    for above, row in itertools.pairwise(ranked):
        a, b = above.entry, row.entry
        why = row.decided_by
        assert why in s.TIE_BREAK_LABELS
        # every earlier rule ties, and the named rule puts `a` strictly first
        if why == s.TieBreak.VETO:
            assert not a.vetoed and b.vetoed
            continue
        assert a.vetoed == b.vetoed
        if why == s.TieBreak.TOTAL:
            assert a.total > b.total
            continue
        assert a.total == b.total
        if why == s.TieBreak.JUDGED:
            assert a.judged > b.judged
            continue
        assert a.judged == b.judged
        va, vb = vectors[a.key], vectors[b.key]
        if why == s.TieBreak.LEVEL1:
            i = row.level1_index
            assert va[:i] == vb[:i] and va[i] > vb[i]
            continue
        assert va == vb
        if why == s.TieBreak.SUBMITTED_AT:
            assert b.submitted_at is None or (
                a.submitted_at is not None and a.submitted_at < b.submitted_at
            )
            assert a.submitted_at is not None or b.submitted_at is not None
            continue
        assert why == s.TieBreak.ID
        assert a.submitted_at == b.submitted_at and a.key < b.key


@given(data=rank_inputs(), quota=st.integers(-2, 15))
def test_the_shortlist_is_the_first_quota_rows_that_are_not_vetoed(data, quota):
    entries, vectors = data
    ranked = s.rank(entries, lambda key: vectors[key])
    shortlist = s.propose_shortlist(ranked, quota)
    eligible = [r.entry.key for r in ranked if not r.entry.vetoed]
    assert len(shortlist) == min(max(quota, 0), len(eligible))
    # vetoed rows come last, so the shortlist is a prefix of the ranking itself
    assert shortlist == [r.entry.key for r in ranked[: len(shortlist)]]
    assert not {r.entry.key for r in ranked if r.entry.vetoed} & set(shortlist)
    # one more place never changes who was already in
    assert s.propose_shortlist(ranked, quota + 1)[: len(shortlist)] == shortlist


@given(data=rank_inputs())
def test_level1_scores_are_asked_only_for_ties(data):
    """The docstring lets callers compute level-1 scores lazily: only tied rows are asked."""
    entries, vectors = data
    asked: list[int] = []

    def level1(key):
        asked.append(key)
        return vectors[key]

    s.rank(entries, level1)
    for key in asked:
        entry = next(e for e in entries if e.key == key)
        assert any(
            other.key != key
            and (other.vetoed, other.total, other.judged)
            == (entry.vetoed, entry.total, entry.judged)
            for other in entries
        )


def test_rank_examples_are_reproducible():
    """A fixed sanity anchor for the generator above: a shuffled list ranks the same."""
    entries = [
        s.RankEntry(key=k, total=Decimal("80.00"), judged=Decimal("70.00")) for k in range(1, 9)
    ]
    shuffled = list(entries)
    random.Random(7).shuffle(shuffled)
    assert [r.entry.key for r in s.rank(shuffled)] == list(range(1, 9))


# Marks on a sheet --------------------------------------------------------------------------------


@given(
    weight=cents(1, 3_000),
    value=st.decimals(allow_nan=True, allow_infinity=True, places=None)
    | st.decimals(min_value=-10, max_value=40, places=3),
)
def test_a_mark_is_accepted_only_from_zero_to_the_weight_in_hundredths(weight, value):
    item = s.JudgedItem("1.1", "指标", weight)
    problems = s.mark_problems(item, s.Mark(value))
    sound = value.is_finite() and 0 <= value <= weight and value == value.quantize(CENT)
    assert (problems == []) == bool(sound)
    assert len(problems) <= 1


@given(
    weight=cents(100, 3_000),
    fraction=st.integers(0, 100),
    comment=st.sampled_from(["", "  ", "理由充分"]),
)
def test_an_unusual_mark_needs_a_comment_and_a_usual_one_does_not(weight, fraction, comment):
    """评分畸高、畸低 (财政部令第87号 第六十四条): below 60 % or above 95 % of the maximum needs a
    written reason; anything in between never does."""
    low, high = Decimal("0.60"), Decimal("0.95")
    value = s.round_points(weight * fraction / 100)
    item = s.JudgedItem("1.1", "指标", weight)
    problems = s.sheet_problems(
        [item], {"1.1": s.Mark(value, comment)}, low_ratio=low, high_ratio=high
    )
    unusual = value < weight * low or value > weight * high
    assert (problems != []) == (unusual and not comment.strip())


@given(weights=st.lists(cents(100, 3_000), min_size=1, max_size=6), data=st.data())
def test_every_missing_mark_is_reported(weights, data):
    items = [s.JudgedItem(f"{i}", f"指标{i}", w) for i, w in enumerate(weights, start=1)]
    given_codes = data.draw(st.sets(st.sampled_from([i.code for i in items])))
    marks = {code: s.Mark(next(i.weight for i in items if i.code == code)) for code in given_codes}
    problems = s.sheet_problems(items, marks, low_ratio=Decimal("0.60"), high_ratio=Decimal("1.00"))
    assert len(problems) == len(items) - len(given_codes)
