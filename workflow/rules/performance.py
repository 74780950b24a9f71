"""绩效评价: the yearly indicators an awarded base reports, and when its plaque may be revoked.

The indicators follow the functions of a base in the Shanxi plan (seed 004) 三: practical
training (实训), enterprise cooperation (校企合作), skills evaluation (技能评价), innovation and
production (创新、生产). Each is a count for the year evaluated: a non-negative whole number.

A failing grade opens a rectification (限期整改); failing again in the following year lets the
office revoke the plaque (撤销授牌). Only published grades count: an evaluation the base has not
been told of cannot cost it its plaque.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

FAIL = "fail"  # workflow.choices.PerformanceGrade.FAIL, kept here so the rules need no models
# Far above any real yearly count, low enough to keep out typing slips and overflow.
MAX_VALUE = 10_000_000


@dataclass(frozen=True)
class YearlyIndicator:
    code: str
    label: Promise
    unit: Promise


INDICATORS: tuple[YearlyIndicator, ...] = (
    YearlyIndicator("trainees", _lazy("Trainees trained"), _lazy("persons")),
    YearlyIndicator("enterprises", _lazy("Enterprises cooperating"), _lazy("enterprises")),
    YearlyIndicator("training_hours", _lazy("Training hours delivered"), _lazy("hours")),
    YearlyIndicator("certificates", _lazy("Skill certificates issued"), _lazy("certificates")),
    YearlyIndicator(
        "projects", _lazy("Innovation and production projects completed"), _lazy("projects")
    ),
)
INDICATOR_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS)


def _as_count(value: Any) -> int | None:
    """A whole number from an int or a string of digits; None for anything else (bools,
    floats, fractions, signs, words), so that no value is silently rounded."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
    return None


def clean_indicator_values(values: Mapping[str, Any]) -> tuple[dict[str, int], list[str]]:
    """The reported values as {code: int} in indicator order, and the problems found (empty
    when every indicator has a valid value and nothing else was sent)."""
    if not isinstance(values, Mapping):
        return {}, [_("The indicator values are missing.")]
    cleaned: dict[str, int] = {}
    problems: list[str] = []
    for indicator in INDICATORS:
        raw = values.get(indicator.code)
        if raw is None or raw == "":
            problems.append(_("Enter a value for “%(label)s”.") % {"label": indicator.label})
            continue
        count = _as_count(raw)
        if count is None or count < 0:
            problems.append(
                _("“%(label)s” must be a whole number, zero or more.") % {"label": indicator.label}
            )
        elif count > MAX_VALUE:
            problems.append(
                _("“%(label)s” is implausibly large (at most %(max)d).")
                % {"label": indicator.label, "max": MAX_VALUE}
            )
        else:
            cleaned[indicator.code] = count
    unknown = sorted(str(k) for k in values if k not in INDICATOR_CODES)
    if unknown:
        problems.append(_("Unknown indicators: %(codes)s.") % {"codes": ", ".join(unknown)[:200]})
    return (cleaned if not problems else {}), problems


def revocable(grades_by_year: Mapping[int, str]) -> bool:
    """The plaque may be revoked: the two latest published years are consecutive and both failed.

    Only the latest two count: a passing year after two old failures shows the rectification
    worked, and a gap (a year not evaluated) is not "failing again in the following year".
    """
    years = sorted((int(y) for y in grades_by_year), reverse=True)
    if len(years) < 2:
        return False
    latest, before = years[0], years[1]
    return (
        latest - before == 1 and grades_by_year[latest] == FAIL and grades_by_year[before] == FAIL
    )


def revocation_refusal(grades_by_year: Mapping[int, str]) -> str | None:
    """Why the plaque may not be revoked now, or None when it may."""
    if revocable(grades_by_year):
        return None
    failed = sorted(y for y, g in grades_by_year.items() if g == FAIL)
    if not failed:
        return _(
            "The plaque may be revoked only after failing grades in two consecutive published "
            "years; this base has no published failing grade."
        )
    return _(
        "The plaque may be revoked only after failing grades in two consecutive published "
        "years, the second of them the latest evaluation; failing years published: %(years)s."
    ) % {"years": ", ".join(str(y) for y in failed)}
