"""评分、汇总与排名: the arithmetic of expert review, as plain functions of plain values.

Points are Decimals. Every figure a person reads (an indicator's score, a sheet's total, an
application's aggregated score) is rounded half up to two decimals (四舍五入, 保留两位小数), and
the ranking compares those rounded figures: two applications that show the same total are
tied, and the tie-breaks below decide, never an invisible third decimal.

**Quantitative indicators (定量指标)** follow Shaoxing's Annex 1 (seed 002, 指标说明 2):
参评学校中指标值最高者得满分，其余学校按比例赋分: the highest verified value among the call's
applications gets the indicator's full weight, every other one weight × value / highest. When
every value is 0 nobody earned anything and everyone gets 0. For an indicator where *lower is
better* the rule is turned round as in the price formula of 财政部令第87号 第五十五条
(价格分 = 评标基准价 / 投标报价 × 权值, the base being the lowest): the lowest value gets the full
weight and every other one weight × lowest / value. If the lowest value is 0, those at 0 get the
full weight and the others 0; if every value is 0 they are all equally best and all get the
full weight. Values are never negative (refused when verified).

**Aggregation (汇总).** An application's expert score is the mean, the median or the trimmed
mean of its submitted sheets' totals (the rubric says which). The trimmed mean drops one highest
and one lowest total when there are at least five sheets (去掉一个最高分和一个最低分); with
fewer it is the plain mean, because trimming three or four sheets would throw away too much of
the panel.

**Dispersion (评分离散).** A sheet is flagged when its total differs from the panel's mean
(unrounded) by strictly more than the rubric's margin; its expert must explain in writing
before the ranking is final (《招标投标法实施条例》第五十三条: dissent is stated in writing).

**Unusual marks (评分畸高、畸低, 财政部令第87号 第六十四条).** A judged mark below
`low_ratio` × maximum or above `high_ratio` × maximum (by default 60 % and 95 %) needs a comment.

**Ranking (排名), deterministic.** Applications with an established veto item (一票否决) come
after all others whatever their score. Then, in order:

1. higher total score (expert score + quantitative score);
2. higher expert-judged score (专家评审分);
3. higher score on the level-1 indicators, compared one by one in the rubric's order (first
   level-1 indicator first; each is the aggregated expert subtotal plus the quantitative points
   under it);
4. earlier submission of the application (申报时间在先);
5. lower application number, which is unique, so no two rows ever compare equal.

The shortlist proposal is the first `quota` rows that are not vetoed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.choices import Aggregation

K = TypeVar("K", bound=Hashable)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TRIM_MINIMUM = 5


def round_points(value: Decimal) -> Decimal:
    """四舍五入 to two decimals."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def sheet_total(points: Iterable[Decimal]) -> Decimal:
    """A sheet's total: a judged mark is already in points (0..weight), so the weighted total
    is their sum."""
    return round_points(sum(points, ZERO))


# Quantitative indicators ----------------------------------------------------------------------


def proportional_scores(
    values: Mapping[K, Decimal], weight: Decimal, *, lower_is_better: bool = False
) -> dict[K, Decimal]:
    """The Shaoxing rule for one indicator: application -> points (see the module docstring).

    Applications without a verified value are simply absent: they neither get points nor move
    the best value.
    """
    if not values:
        return {}
    if any(v < 0 for v in values.values()):
        raise ValueError("quantitative values are never negative")
    weight = Decimal(weight)
    if not lower_is_better:
        best = max(values.values())
        if best == 0:
            return dict.fromkeys(values, ZERO)
        return {k: round_points(weight * v / best) for k, v in values.items()}
    best = min(values.values())
    return {
        k: round_points(weight) if v == best else round_points(weight * best / v)
        for k, v in values.items()
    }


# Aggregation ---------------------------------------------------------------------------------


def mean(values: Sequence[Decimal]) -> Decimal:
    if not values:
        raise ValueError("no values")
    return round_points(sum(values, ZERO) / len(values))


def median(values: Sequence[Decimal]) -> Decimal:
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return round_points(ordered[middle])
    return round_points((ordered[middle - 1] + ordered[middle]) / 2)


def trimmed_mean(values: Sequence[Decimal]) -> Decimal:
    """Drop one highest and one lowest when there are at least five values, then the mean."""
    if len(values) >= TRIM_MINIMUM:
        return mean(sorted(values)[1:-1])
    return mean(values)


AGGREGATORS: dict[str, Callable[[Sequence[Decimal]], Decimal]] = {
    Aggregation.MEAN: mean,
    Aggregation.MEDIAN: median,
    Aggregation.TRIMMED_MEAN: trimmed_mean,
}


def aggregate(values: Sequence[Decimal], method: str) -> Decimal | None:
    """The application's expert score from its sheet totals; None when there are none."""
    if not values:
        return None
    return AGGREGATORS[method](values)


# Checks on sheets ----------------------------------------------------------------------------


def panel_mean(totals: Iterable[Decimal]) -> Decimal:
    values = list(totals)
    return sum(values, ZERO) / len(values)


def dispersion_flags(totals: Mapping[K, Decimal], margin: Decimal) -> set[K]:
    """The sheets whose total is more than `margin` points away from the panel's mean.

    A single sheet has no panel to differ from.
    """
    if len(totals) < 2:
        return set()
    centre = panel_mean(totals.values())
    return {k for k, total in totals.items() if abs(total - centre) > margin}


def abnormal_direction(
    value: Decimal, maximum: Decimal, *, low_ratio: Decimal, high_ratio: Decimal
) -> str | None:
    """Whether a mark is unusually "low" or "high" for its maximum; None when it is not."""
    if maximum <= 0:
        return None
    if value < maximum * low_ratio:
        return "low"
    if value > maximum * high_ratio:
        return "high"
    return None


def is_abnormal(
    value: Decimal, maximum: Decimal, *, low_ratio: Decimal, high_ratio: Decimal
) -> bool:
    return (
        abnormal_direction(value, maximum, low_ratio=low_ratio, high_ratio=high_ratio) is not None
    )


@dataclass(frozen=True)
class JudgedItem:
    code: str
    name: str
    weight: Decimal

    @property
    def label(self) -> str:
        return f"“{self.code} {self.name}”"


@dataclass(frozen=True)
class Mark:
    value: Decimal | None
    comment: str = ""


def mark_problems(item: JudgedItem, mark: Mark | None) -> list[str]:
    """What is wrong with one mark whatever the sheet's state: range and precision."""
    if mark is None or mark.value is None:
        if mark is not None and mark.comment.strip():
            return [_("Indicator %(ind)s: a comment needs a score.") % {"ind": item.label}]
        return []
    value = mark.value
    if not value.is_finite() or value < 0 or value > item.weight:
        return [
            _("Indicator %(ind)s: give from 0 to %(max)s points.")
            % {"ind": item.label, "max": item.weight}
        ]
    if value != value.quantize(CENT):
        return [_("Indicator %(ind)s: use at most two decimals.") % {"ind": item.label}]
    return []


def sheet_problems(
    items: Sequence[JudgedItem],
    marks: Mapping[str, Mark],
    *,
    low_ratio: Decimal,
    high_ratio: Decimal,
) -> list[str]:
    """Why a sheet cannot be submitted: a mark missing, out of range, or unusually high or low
    without a comment (评分畸高、畸低须书面说明)."""
    problems: list[str] = []
    for item in items:
        mark = marks.get(item.code)
        if mark is None or mark.value is None:
            problems.append(_("Indicator %(ind)s has no score yet.") % {"ind": item.label})
            continue
        range_problems = mark_problems(item, mark)
        if range_problems:
            problems += range_problems
            continue
        direction = abnormal_direction(
            mark.value, item.weight, low_ratio=low_ratio, high_ratio=high_ratio
        )
        if direction and not mark.comment.strip():
            if direction == "low":
                text = _(
                    "Indicator %(ind)s: %(value)s of %(max)s points is unusually low "
                    "(below %(ratio)s%%); explain it in a comment."
                )
                ratio = low_ratio
            else:
                text = _(
                    "Indicator %(ind)s: %(value)s of %(max)s points is unusually high "
                    "(above %(ratio)s%%); explain it in a comment."
                )
                ratio = high_ratio
            problems.append(
                text
                % {
                    "ind": item.label,
                    "value": mark.value,
                    "max": item.weight,
                    "ratio": f"{ratio * 100:.0f}",
                }
            )
    return problems


# Ranking -------------------------------------------------------------------------------------


class TieBreak:
    """Why a row stands below the one before it."""

    VETO = "veto"
    TOTAL = "total"
    JUDGED = "judged"
    LEVEL1 = "level1"
    SUBMITTED_AT = "submitted_at"
    ID = "id"


TIE_BREAK_LABELS: dict[str, Any] = {
    TieBreak.VETO: gettext_lazy("veto item established (一票否决)"),
    TieBreak.TOTAL: gettext_lazy("lower total score"),
    TieBreak.JUDGED: gettext_lazy("equal total; lower expert-judged score"),
    TieBreak.LEVEL1: gettext_lazy("equal total and expert score; lower level-1 indicator score"),
    TieBreak.SUBMITTED_AT: gettext_lazy("equal scores; submitted later"),
    TieBreak.ID: gettext_lazy("equal scores and submission time; higher application number"),
}

# The rules in the order they apply, for the ranking page and the export.
TIE_BREAK_RULES = [
    gettext_lazy("Applications with an established veto item rank after all others."),
    gettext_lazy("Higher total score first."),
    gettext_lazy("On an equal total: higher expert-judged score first."),
    gettext_lazy(
        "Then: higher score on the first level-1 indicator, then on the second, and so on."
    ),
    gettext_lazy("Then: the application submitted earlier first."),
    gettext_lazy("Finally: the lower application number first."),
]


@dataclass(frozen=True)
class RankEntry:
    key: int
    total: Decimal
    judged: Decimal
    submitted_at: dt.datetime | None = None
    vetoed: bool = False


@dataclass(frozen=True)
class Ranked:
    rank: int
    entry: RankEntry
    decided_by: str | None  # None for the first row
    level1_index: int | None = None  # which level-1 indicator separated it, when LEVEL1


def _submitted_key(moment: dt.datetime | None) -> tuple[int, float]:
    return (1, 0.0) if moment is None else (0, moment.timestamp())


def _primary(entry: RankEntry) -> tuple:
    return (entry.vetoed, -entry.total, -entry.judged)


def rank(
    entries: Iterable[RankEntry],
    level1_scores: Callable[[int], Sequence[Decimal]] = lambda key: (),
) -> list[Ranked]:
    """Order the entries by the rules in the module docstring.

    `level1_scores(key)` is asked only for entries that tie on total and expert score, so a
    caller may compute it lazily.
    """
    ordered = sorted(entries, key=lambda e: (_primary(e), e.key))
    vectors: dict[int, tuple[Decimal, ...]] = {}
    result: list[RankEntry] = []
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and _primary(ordered[end]) == _primary(ordered[start]):
            end += 1
        group = ordered[start:end]
        if len(group) > 1:
            for e in group:
                vectors[e.key] = tuple(level1_scores(e.key))
            group.sort(
                key=lambda e: (
                    tuple(-v for v in vectors[e.key]),
                    _submitted_key(e.submitted_at),
                    e.key,
                )
            )
        result.extend(group)
        start = end

    ranked: list[Ranked] = []
    for position, entry in enumerate(result, start=1):
        decided_by, index = None, None
        if position > 1:
            decided_by, index = _why_below(result[position - 2], entry, vectors)
        ranked.append(Ranked(position, entry, decided_by, index))
    return ranked


def _why_below(
    above: RankEntry, entry: RankEntry, vectors: Mapping[int, tuple[Decimal, ...]]
) -> tuple[str, int | None]:
    if above.vetoed != entry.vetoed:
        return TieBreak.VETO, None
    if above.total != entry.total:
        return TieBreak.TOTAL, None
    if above.judged != entry.judged:
        return TieBreak.JUDGED, None
    mine, theirs = vectors.get(entry.key, ()), vectors.get(above.key, ())
    for index, (a, b) in enumerate(zip(theirs, mine, strict=False)):
        if a != b:
            return TieBreak.LEVEL1, index
    if _submitted_key(above.submitted_at) != _submitted_key(entry.submitted_at):
        return TieBreak.SUBMITTED_AT, None
    return TieBreak.ID, None


def propose_shortlist(ranked: Sequence[Ranked], quota: int) -> list[int]:
    """拟入选: the first `quota` rows that are not vetoed, in rank order."""
    return [r.entry.key for r in ranked if not r.entry.vetoed][: max(quota, 0)]
