"""补助与奖励: subsidy rules as data, and the arithmetic that turns them into amounts.

A rule is one of two kinds, both taken from Wucheng's plan for its industry talent college
(seed 000, 五(二) 落实政策扶持):

- **Share of cost (按费用比例一次性补助).** 按照产业人才学院实际装修设计费用给予50%的一次性补助，
  最高100万元: the amount is `rate` × the verified cost, capped at `cap`. It is one-off, so a
  second claim of the same rule is refused.
- **Per head (按人数奖励).** 前三年按照产业人才学院培养的人才数给予赋能机构2000元/人的奖励，
  每年最高奖励100万元: each programme year from 1 to `years` earns `amount_per_unit` × the
  number of people trained that year, capped at `annual_cap` for the year; any later year earns
  nothing.

**Mutual exclusion (不可同时享受).** 培养奖励与市场化引才奖励不可同时享受: rules that share an
`exclusivity_group` may not be granted together. `combine` refuses such a set of claims with a
message naming both rules rather than silently keeping the larger one: which award to keep is
the applicant's choice, not the arithmetic's.

Amounts are in yuan as Decimals, rounded half up to the fen (四舍五入到分) before the cap is
applied, so a capped amount is exactly the cap. Costs and head counts of zero or less are
refused with a message, never turned into a zero subsidy: a claim for nothing is a mistake in
the claim. (In a yearly schedule a year in which nobody was trained is allowed and earns 0.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


class SubsidyKind(models.TextChoices):
    SHARE_OF_COST = "share_of_cost", gettext_lazy("Share of cost, one-off (rate, cap)")
    PER_HEAD = "per_head", gettext_lazy("Per person, for a number of years (annual cap)")


class SubsidyError(ValueError):
    """A claim or a rule that cannot be computed; the message is fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


class ExclusiveRewards(SubsidyError):
    """Two mutually exclusive rewards were claimed together."""

    def __init__(self, message: str, first: SubsidyRule, second: SubsidyRule) -> None:
        super().__init__(message)
        self.first = first
        self.second = second


def to_fen(value: Decimal) -> Decimal:
    """四舍五入 to the fen (two decimals of a yuan)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SubsidyRule:
    """One subsidy or reward, as data. `code` identifies it (stable, unique); `name` is shown."""

    code: str
    name: str
    kind: SubsidyKind
    rate: Decimal | None = None  # share of cost: 0 < rate <= 1
    cap: Decimal | None = None  # share of cost: the most it pays; None: no cap
    amount_per_unit: Decimal | None = None  # per head: yuan per person
    years: int | None = None  # per head: programme years 1..years earn the reward
    annual_cap: Decimal | None = None  # per head: the most one year pays; None: no cap
    exclusivity_group: str = ""  # rules sharing a non-empty group cannot be granted together
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind in SubsidyKind.values:  # a plain string read from the table
            object.__setattr__(self, "kind", SubsidyKind(self.kind))
        problems = rule_problems(self)
        if problems:
            raise SubsidyError(" ".join(problems))


def rule_problems(rule: SubsidyRule) -> list[str]:
    """What is wrong with a rule's figures, as messages (empty when it is sound)."""
    problems: list[str] = []
    positive = _("must be greater than zero")
    if rule.kind == SubsidyKind.SHARE_OF_COST:
        if rule.rate is None:
            problems.append(_("A share-of-cost subsidy needs a rate."))
        elif not Decimal(0) < rule.rate <= Decimal(1):
            problems.append(_("The rate must be greater than 0 and at most 1 (100%)."))
        if rule.cap is not None and rule.cap <= 0:
            problems.append(_("The cap %(must)s.") % {"must": positive})
        if (
            rule.amount_per_unit is not None
            or rule.years is not None
            or rule.annual_cap is not None
        ):
            problems.append(
                _("A share-of-cost subsidy has no amount per person, years or annual cap.")
            )
    elif rule.kind == SubsidyKind.PER_HEAD:
        if rule.amount_per_unit is None:
            problems.append(_("A per-person reward needs an amount per person."))
        elif rule.amount_per_unit <= 0:
            problems.append(_("The amount per person %(must)s.") % {"must": positive})
        if rule.years is None:
            problems.append(_("A per-person reward needs a number of years."))
        elif rule.years <= 0:
            problems.append(_("The number of years %(must)s.") % {"must": positive})
        if rule.annual_cap is not None and rule.annual_cap <= 0:
            problems.append(_("The annual cap %(must)s.") % {"must": positive})
        if rule.rate is not None or rule.cap is not None:
            problems.append(_("A per-person reward has no rate or one-off cap."))
    else:
        problems.append(_("Unknown kind of subsidy: %(kind)s.") % {"kind": rule.kind})
    return problems


def _require_kind(rule: SubsidyRule, kind: SubsidyKind) -> None:
    if rule.kind != kind:
        raise SubsidyError(
            _("“%(name)s” is not computed this way: its kind is “%(kind)s”.")
            % {"name": rule.name, "kind": SubsidyKind(rule.kind).label}
        )


def share_of_cost_amount(rule: SubsidyRule, cost: Decimal | int) -> Decimal:
    """rate × cost, to the fen, capped. 1,200,000 at 50% capped at 1,000,000 gives 600,000."""
    _require_kind(rule, SubsidyKind.SHARE_OF_COST)
    if isinstance(cost, bool) or not isinstance(cost, Decimal | int):
        raise SubsidyError(_("The cost must be an amount in yuan."))
    if cost <= 0:
        raise SubsidyError(
            _("The cost for “%(name)s” must be greater than zero (got %(cost)s).")
            % {"name": rule.name, "cost": cost}
        )
    amount = to_fen(Decimal(cost) * rule.rate)
    return min(amount, to_fen(rule.cap)) if rule.cap is not None else amount


def per_head_amount(rule: SubsidyRule, heads: int, *, year: int) -> Decimal:
    """The reward for `heads` people trained in programme year `year` (1 = the first year):
    amount per person × heads, to the fen, capped at the annual cap; 0 after the last year."""
    _require_kind(rule, SubsidyKind.PER_HEAD)
    _check_year(year)
    _check_heads(rule, heads, allow_zero=False)
    if year > rule.years:
        return ZERO
    amount = to_fen(rule.amount_per_unit * heads)
    return min(amount, to_fen(rule.annual_cap)) if rule.annual_cap is not None else amount


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or year < 1:
        raise SubsidyError(
            _("The programme year must be a whole number from 1 (got %(year)s).") % {"year": year}
        )


def _check_heads(rule: SubsidyRule, heads: int, *, allow_zero: bool) -> None:
    if isinstance(heads, bool) or not isinstance(heads, int):
        raise SubsidyError(_("The number of people must be a whole number."))
    if heads < 0 or (heads == 0 and not allow_zero):
        raise SubsidyError(
            _("The number of people for “%(name)s” must be greater than zero (got %(heads)s).")
            % {"name": rule.name, "heads": heads}
        )


@dataclass(frozen=True)
class YearAmount:
    year: int
    heads: int
    uncapped: Decimal  # amount per person × heads, before the cap and the limit on years
    amount: Decimal  # what is paid for the year
    capped: bool  # the annual cap cut the amount
    eligible: bool  # the year is within the rule's years


def yearly_schedule(rule: SubsidyRule, heads_by_year: Sequence[int]) -> list[YearAmount]:
    """One row per programme year, from year 1, for the head counts given in year order."""
    _require_kind(rule, SubsidyKind.PER_HEAD)
    rows = []
    for year, heads in enumerate(heads_by_year, start=1):
        _check_heads(rule, heads, allow_zero=True)
        uncapped = to_fen(rule.amount_per_unit * heads)
        eligible = year <= rule.years
        amount = per_head_amount(rule, heads, year=year) if heads and eligible else ZERO
        capped = eligible and amount < uncapped
        rows.append(YearAmount(year, heads, uncapped, amount, capped, eligible))
    return rows


def schedule_total(rows: Iterable[YearAmount]) -> Decimal:
    return sum((row.amount for row in rows), ZERO)


# Combining claims -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """An amount computed under a rule; `year` is the programme year of a per-person reward."""

    rule: SubsidyRule
    amount: Decimal
    year: int | None = None


@dataclass(frozen=True)
class Combined:
    claims: tuple[Claim, ...]
    total: Decimal


def combine(claims: Iterable[Claim]) -> Combined:
    """The claims granted together and their total, or SubsidyError when they cannot be:

    - two different rules of the same exclusivity group (不可同时享受), naming both;
    - the same one-off subsidy twice, or the same per-person reward twice for one year.
    """
    claims = tuple(claims)
    by_group: dict[str, SubsidyRule] = {}
    seen: set[tuple[str, int | None]] = set()
    for claim in claims:
        rule = claim.rule
        key = (rule.code, None if rule.kind == SubsidyKind.SHARE_OF_COST else claim.year)
        if key in seen:
            if rule.kind == SubsidyKind.SHARE_OF_COST:
                message = _("“%(name)s” is a one-off subsidy and is claimed more than once.")
            else:
                message = _("“%(name)s” is claimed more than once for year %(year)s.")
            raise SubsidyError(message % {"name": rule.name, "year": claim.year})
        seen.add(key)
        if rule.kind == SubsidyKind.PER_HEAD and claim.year is None:
            raise SubsidyError(
                _("A claim of “%(name)s” must say which programme year it is for.")
                % {"name": rule.name}
            )
        group = rule.exclusivity_group
        if not group:
            continue
        other = by_group.setdefault(group, rule)
        if other.code != rule.code:
            raise ExclusiveRewards(
                _(
                    "“%(first)s” and “%(second)s” cannot be granted together: they are "
                    "mutually exclusive. Choose one of them."
                )
                % {"first": other.name, "second": rule.name},
                other,
                rule,
            )
    return Combined(claims, sum((c.amount for c in claims), ZERO))


# Wucheng (seed 000, 五(二) 落实政策扶持) ------------------------------------------------------

WUCHENG_SOURCE = "婺城区《关于建设婺城产业人才学院的实施方案》（征求意见稿）五(二)"
WUCHENG_TALENT_GROUP = "wucheng_talent_award"

WUCHENG_FIT_OUT = SubsidyRule(
    code="wucheng_fit_out",
    name="产业人才学院装修设计补助",
    kind=SubsidyKind.SHARE_OF_COST,
    rate=Decimal("0.50"),
    cap=Decimal("1000000.00"),
    source=f"{WUCHENG_SOURCE}: 按照产业人才学院实际装修设计费用给予50%的一次性补助，最高100万元。",
)

# The market-based recruitment reward (市场化引才奖励) it excludes is set by another document
# with its own figures; whoever enters it gives it this rule's exclusivity group.
WUCHENG_TRAINING = SubsidyRule(
    code="wucheng_training",
    name="产业人才学院培养奖励",
    kind=SubsidyKind.PER_HEAD,
    amount_per_unit=Decimal("2000.00"),
    years=3,
    annual_cap=Decimal("1000000.00"),
    exclusivity_group=WUCHENG_TALENT_GROUP,
    source=(
        f"{WUCHENG_SOURCE}: 前三年按照产业人才学院培养的人才数给予赋能机构2000元/人的奖励，"
        "每年最高奖励100万元（培养奖励与市场化引才奖励不可同时享受）。"
    ),
)

WUCHENG_RULES = (WUCHENG_FIT_OUT, WUCHENG_TRAINING)
