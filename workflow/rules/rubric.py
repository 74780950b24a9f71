"""评分细则: what makes an indicator tree valid. Plain values in, messages out; no database.

The tree reads like Shaoxing's Annex 1 (seed 002, 学校产教融合评价指标体系): 一级/二级/三级指标
with a weight (权重) on every row, the weights of the rows under a heading add up to the
heading's weight, and the scoring rows add up to 100. Here a weight is a number of points.

- A *judged* leaf (专家评分) is marked by each expert from 0 to its weight; its guidance bands
  (评分档次) say which range fits which quality.
- A *quantitative* leaf (定量指标) is scored from the value the office verified, by the Shaoxing
  rule (workflow.rules.scoring.proportional_scores); `lower_is_better` turns the rule round.
- A *veto* leaf (一票否决项) carries no points (weight 0): the office verifies the fact, and an
  application for which it is established is disqualified whatever its score.

Every message names the indicator concerned as “code name”, so whoever edits the tree can find
the row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from workflow.choices import IndicatorKind

TOTAL = Decimal(100)
MAX_LEVEL = 3


@dataclass(frozen=True)
class IndicatorSpec:
    """One row of the tree, as an editor, a data file or the database gives it."""

    code: str
    name: str
    level: int
    weight: Decimal
    kind: str = IndicatorKind.JUDGED
    parent: str | None = None  # the parent's code
    position: int = 0
    guidance: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    lower_is_better: bool = False
    unit: str = ""

    @property
    def label(self) -> str:
        return f"“{self.code} {self.name}”"


def as_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from an int, str or Decimal (floats go through str), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _points(value: Decimal) -> str:
    """100.00 → "100", 7.50 → "7.5": how a weight reads in a message."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def children_of(specs: Iterable[IndicatorSpec]) -> dict[str | None, list[IndicatorSpec]]:
    """parent code (None for the top) -> its rows in display order (position, then code)."""
    found: dict[str | None, list[IndicatorSpec]] = defaultdict(list)
    for spec in specs:
        found[spec.parent].append(spec)
    for rows in found.values():
        rows.sort(key=lambda s: (s.position, s.code))
    return found


def depth_first(specs: Iterable[IndicatorSpec]) -> list[IndicatorSpec]:
    """The rows in reading order: each heading followed by what is under it."""
    tree = children_of(specs)
    out: list[IndicatorSpec] = []

    def walk(code: str | None, seen: frozenset[str]) -> None:
        for spec in tree.get(code, []):
            if spec.code in seen:  # a cycle; tree_problems reports it
                continue
            out.append(spec)
            walk(spec.code, seen | {spec.code})

    walk(None, frozenset())
    return out


def _guidance_problems(spec: IndicatorSpec, weight: Decimal) -> list[str]:
    problems: list[str] = []
    if not spec.guidance:
        return problems
    if spec.kind != IndicatorKind.JUDGED:
        return [
            _("Indicator %(ind)s: only expert-judged indicators have guidance bands.")
            % {"ind": spec.label}
        ]
    for number, band in enumerate(spec.guidance, start=1):
        if not isinstance(band, Mapping):
            problems.append(
                _("Indicator %(ind)s: guidance band %(n)d is not of the form from/to/text.")
                % {"ind": spec.label, "n": number}
            )
            continue
        low, high = as_decimal(band.get("from")), as_decimal(band.get("to"))
        if low is None or high is None or not str(band.get("text", "")).strip():
            problems.append(
                _("Indicator %(ind)s: guidance band %(n)d needs a from, a to and a text.")
                % {"ind": spec.label, "n": number}
            )
        elif not Decimal(0) <= low <= high <= weight:
            problems.append(
                _(
                    "Indicator %(ind)s: guidance band %(n)d (%(low)s–%(high)s) must lie "
                    "between 0 and the indicator's %(weight)s points."
                )
                % {
                    "ind": spec.label,
                    "n": number,
                    "low": _points(low),
                    "high": _points(high),
                    "weight": _points(weight),
                }
            )
    return problems


def _row_problems(spec: IndicatorSpec, by_code: Mapping[str, IndicatorSpec]) -> list[str]:
    problems: list[str] = []
    if not str(spec.name).strip():
        problems.append(_("Indicator “%(code)s” has no name.") % {"code": spec.code})
    if spec.kind not in IndicatorKind.values:
        problems.append(_("Indicator %(ind)s has an unknown kind.") % {"ind": spec.label})
    if not 1 <= spec.level <= MAX_LEVEL:
        problems.append(_("Indicator %(ind)s: the level must be 1, 2 or 3.") % {"ind": spec.label})
    elif spec.level == 1 and spec.parent:
        problems.append(
            _("Indicator %(ind)s is a level-1 indicator and cannot have a parent.")
            % {"ind": spec.label}
        )
    elif spec.level > 1:
        parent = by_code.get(spec.parent or "")
        if parent is None:
            problems.append(
                _("Indicator %(ind)s is at level %(level)d but has no parent indicator.")
                % {"ind": spec.label, "level": spec.level}
            )
        elif parent.level != spec.level - 1:
            problems.append(
                _(
                    "Indicator %(ind)s is at level %(level)d, so its parent %(parent)s must be at "
                    "level %(expected)d."
                )
                % {
                    "ind": spec.label,
                    "level": spec.level,
                    "parent": parent.label,
                    "expected": spec.level - 1,
                }
            )
    if spec.lower_is_better and spec.kind != IndicatorKind.QUANTITATIVE:
        problems.append(
            _("Indicator %(ind)s: only quantitative indicators can be “lower is better”.")
            % {"ind": spec.label}
        )
    return problems


def _weight_problems(
    spec: IndicatorSpec, weight: Decimal, children: list[IndicatorSpec], weights: dict
) -> list[str]:
    problems: list[str] = []
    if children:
        if spec.kind != IndicatorKind.JUDGED:
            problems.append(
                _(
                    "Indicator %(ind)s has sub-indicators, so it is a heading and cannot itself "
                    "be quantitative or a veto item."
                )
                % {"ind": spec.label}
            )
        known = [weights[c.code] for c in children if weights.get(c.code) is not None]
        if len(known) == len(children) and sum(known, Decimal(0)) != weight:
            problems.append(
                _(
                    "Indicator %(ind)s weighs %(weight)s points but its sub-indicators total "
                    "%(sum)s; a heading's weight is the sum of its sub-indicators'."
                )
                % {
                    "ind": spec.label,
                    "weight": _points(weight),
                    "sum": _points(sum(known, Decimal(0))),
                }
            )
    elif spec.kind == IndicatorKind.VETO:
        if weight != 0:
            problems.append(
                _("Indicator %(ind)s is a veto item: it carries no points, so its weight is 0.")
                % {"ind": spec.label}
            )
    elif weight <= 0:
        problems.append(_("Indicator %(ind)s needs a weight above 0 points.") % {"ind": spec.label})
    return problems


def tree_problems(specs: Sequence[IndicatorSpec]) -> list[str]:
    """Everything wrong with the tree, each naming its indicator; empty when it is valid."""
    if not specs:
        return [_("The rubric has no indicators.")]
    problems: list[str] = []
    by_code: dict[str, IndicatorSpec] = {}
    for spec in specs:
        if not str(spec.code).strip():
            problems.append(_("Indicator “%(name)s” has no code.") % {"name": spec.name})
        elif spec.code in by_code:
            problems.append(_("The code “%(code)s” is used twice.") % {"code": spec.code})
        else:
            by_code[spec.code] = spec

    weights: dict[str, Decimal | None] = {}
    for spec in by_code.values():
        weight = as_decimal(spec.weight)
        if weight is None or weight < 0 or weight > TOTAL or weight.as_tuple().exponent < -2:
            problems.append(
                _(
                    "Indicator %(ind)s: the weight must be a number of points from 0 to 100 with "
                    "at most two decimals."
                )
                % {"ind": spec.label}
            )
            weight = None
        weights[spec.code] = weight

    tree = children_of(by_code.values())
    for spec in by_code.values():
        problems += _row_problems(spec, by_code)
        weight = weights[spec.code]
        if weight is None:
            continue
        problems += _weight_problems(spec, weight, tree.get(spec.code, []), weights)
        problems += _guidance_problems(spec, weight)

    reachable = {s.code for s in depth_first(by_code.values())}
    for code in sorted(set(by_code) - reachable):
        problems.append(
            _("Indicator %(ind)s is not under any level-1 indicator (its parents form a loop).")
            % {"ind": by_code[code].label}
        )

    leaves = [s for s in by_code.values() if s.code not in tree and weights[s.code] is not None]
    total = sum((weights[s.code] for s in leaves), Decimal(0))
    if all(w is not None for w in weights.values()) and total != TOTAL:
        problems.append(
            _("The scoring indicators total %(total)s points; they must total exactly 100.")
            % {"total": _points(total)}
        )
    return problems


def leaves(specs: Iterable[IndicatorSpec]) -> list[IndicatorSpec]:
    """The rows that are scored or verified (no sub-indicators), in reading order."""
    ordered = depth_first(specs)
    parents = {s.parent for s in ordered}
    return [s for s in ordered if s.code not in parents]
