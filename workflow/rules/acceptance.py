"""评审认定: the acceptance rubric, the checks of a panel's score sheets, the total and outcome.

Plain functions on plain data: no database, no clock. The acceptance panel scores against one
fixed rubric (the construction is judged against what the task agreement promised, not
against the call's selection rubric); each expert signs a sheet with one mark per indicator,
the panel's total is the mean of the experts' totals, and 60 passes.

The panel draw is the review's panel draw (workflow.rules.draw.draw_panel) over the pool's ids
with no caps or sectors, so anyone holding the revealed seed and the recorded inputs can
recompute it with `acceptance_panel`.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.rules.draw import PANEL, DrawRules, PoolExpert, draw_panel, rule_problems

CENT = Decimal("0.01")
PASS_MARK = Decimal(60)
DEFAULT_PANEL_SIZE = 5
RECTIFICATION_WORKING_DAYS = 60


@dataclass(frozen=True)
class AcceptanceIndicator:
    code: str
    label: Promise
    weight: Decimal


# The weights follow the emphasis of the Shanxi plan's 评审认定: what was promised is built,
# the money is there, the functions run; management, safety and the outlook weigh less.
RUBRIC: tuple[AcceptanceIndicator, ...] = (
    AcceptanceIndicator(
        "targets", gettext_lazy("Construction targets of the task agreement met"), Decimal(30)
    ),
    AcceptanceIndicator(
        "funding", gettext_lazy("Funding in place and spent as planned"), Decimal(20)
    ),
    AcceptanceIndicator(
        "functions",
        gettext_lazy("Functions operating (training, innovation, production, services)"),
        Decimal(25),
    ),
    AcceptanceIndicator("management", gettext_lazy("Management and safety"), Decimal(15)),
    AcceptanceIndicator(
        "sustainability", gettext_lazy("Sustainability and further development"), Decimal(10)
    ),
)
WEIGHTS: dict[str, Decimal] = {i.code: i.weight for i in RUBRIC}
MAX_TOTAL = sum(WEIGHTS.values(), Decimal(0))
assert MAX_TOTAL == 100, "the acceptance rubric's weights must sum to 100"


def to_mark(value: Any) -> Decimal | None:
    """A mark as a Decimal with at most two decimals, or None when it is not a number.

    Floats are refused: a sheet is typed in or read from a form, never computed."""
    if isinstance(value, bool | float) or value is None:
        return None
    try:
        mark = Decimal(str(value).strip())
        if not mark.is_finite() or mark != mark.quantize(CENT, rounding=ROUND_HALF_UP):
            return None
    except (InvalidOperation, ValueError):  # also a quantize beyond the context's precision
        return None
    return mark


def sheet_problems(marks: Mapping[str, Any], expert: str = "") -> list[str]:
    """What is wrong with one expert's sheet: every indicator marked, each from 0 to its weight."""
    who = {"expert": expert}
    problems = []
    if not isinstance(marks, Mapping):
        return [_("The sheet of %(expert)s is not a set of marks.") % who]
    for indicator in RUBRIC:
        raw = marks.get(indicator.code)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            problems.append(
                _("%(expert)s: no mark for “%(indicator)s”.")
                % {**who, "indicator": indicator.label}
            )
            continue
        mark = to_mark(raw)
        if mark is None or not Decimal(0) <= mark <= indicator.weight:
            problems.append(
                _(
                    "%(expert)s: the mark for “%(indicator)s” must be a number from 0 to "
                    "%(weight)s with at most two decimals."
                )
                % {**who, "indicator": indicator.label, "weight": indicator.weight}
            )
    for code in sorted({str(k) for k in marks} - set(WEIGHTS)):
        problems.append(
            _("%(expert)s: “%(code)s” is not an indicator of the acceptance rubric.")
            % {**who, "code": code}
        )
    return problems


def sheet_total(marks: Mapping[str, Any]) -> Decimal:
    """The total of one valid sheet (check it with sheet_problems first)."""
    return sum((to_mark(marks[i.code]) for i in RUBRIC), Decimal(0)).quantize(CENT)


def panel_problems(sheets: Mapping[str, Any], panel: Mapping[str, str]) -> list[str]:
    """Every panel member's sheet present and valid, and no sheet from outside the panel.

    `sheets`: expert id (str) -> marks; `panel`: expert id (str) -> name, for the messages."""
    problems = []
    for expert_id, name in panel.items():
        if expert_id not in sheets:
            problems.append(_("The sheet of %(expert)s is missing.") % {"expert": name})
        else:
            problems.extend(sheet_problems(sheets[expert_id], name))
    for expert_id in sorted(set(sheets) - set(panel)):
        problems.append(
            _("Expert %(expert)s is not on this acceptance panel.") % {"expert": expert_id}
        )
    return problems


def panel_total(sheet_totals: Iterable[Decimal]) -> Decimal:
    """The mean of the experts' totals, rounded half up to two decimals."""
    totals = list(sheet_totals)
    if not totals:
        raise ValueError("a panel total needs at least one sheet")
    return (sum(totals, Decimal(0)) / len(totals)).quantize(CENT, rounding=ROUND_HALF_UP)


def passes(total: Decimal) -> bool:
    return total >= PASS_MARK


def normalised_sheets(sheets: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Valid sheets as stored: marks as decimal strings with two places, in rubric order."""
    return {
        str(expert_id): {i.code: str(to_mark(marks[i.code]).quantize(CENT)) for i in RUBRIC}
        for expert_id, marks in sheets.items()
    }


# The panel draw ----------------------------------------------------------------------------


def panel_size_problems(size: int) -> list[str]:
    """The review's rule for a panel: five or more, an odd number."""
    return rule_problems(DrawRules(mode=PANEL, panel_size=size, alternates=0))


def acceptance_panel(
    seed: str, pool_ids: Iterable[int], excluded: Iterable[int], size: int
) -> list[int]:
    """The drawn experts in draw order. Raises draw.DrawImpossible when too few are eligible."""
    pool = [PoolExpert(expert_id, "", "") for expert_id in sorted(pool_ids)]
    rules = DrawRules(mode=PANEL, panel_size=size, alternates=0)
    return draw_panel(seed, pool, rules, excluded)["members"]


# Plaque numbers ----------------------------------------------------------------------------


def pattern_problems(pattern: str) -> list[str]:
    """A numbering pattern must use {seq} (or the numbers would repeat) and only {year}/{seq}."""
    try:
        fields = {name for _lit, name, _spec, _conv in string.Formatter().parse(pattern) if name}
        pattern.format(year=2026, seq=1)
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return [_("The pattern may use only {year} and {seq}, e.g. {seq:03d}.")]
    problems = []
    if "seq" not in fields:
        problems.append(_("The pattern must contain {seq}, or every plaque would get one number."))
    if fields - {"year", "seq"}:
        problems.append(_("The pattern may use only {year} and {seq}, e.g. {seq:03d}."))
    return problems


def plaque_number(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)
