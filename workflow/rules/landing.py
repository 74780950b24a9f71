"""揭榜落地: the rules of a task agreement and of the reports that follow it, as plain functions.

- An agreement runs 3 to 5 years from its start; its funding lines (万元, by FundingSource code)
  are positive and add up exactly to the total budget; it has at least one milestone and every
  milestone falls within the term.
- The subsidies of an agreement are computed from the active subsidy rules
  (workflow.rules.subsidies): the fit-out cost feeds the share-of-cost rules, the trainees of
  each programme year the per-person rules. Mutually exclusive rules are refused, naming both,
  because which one to keep is the organisation's choice, not the arithmetic's.
- Reports fall due on three cadences (月调度、季通报、年总结) for every month, quarter and year
  that overlaps the term, a fixed number of working days after the period ends, so a holiday
  after a period's end moves its due date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from workflow.choices import ApplicationState, FundingSource, ReportKind
from workflow.models.landing import MAX_TERM_YEARS, MIN_TERM_YEARS
from workflow.rules.subsidies import (
    ZERO,
    Claim,
    SubsidyError,
    SubsidyKind,
    SubsidyRule,
    combine,
    share_of_cost_amount,
    to_fen,
    yearly_schedule,
)
from workflow.workdays import add_working_days, is_working_day

# Working days after the end of a period by which its report is due.
MONTHLY_DUE_WORKING_DAYS = 5
QUARTERLY_DUE_WORKING_DAYS = 10
ANNUAL_DUE_WORKING_DAYS = 15
DUE_WORKING_DAYS: dict[str, int] = {
    ReportKind.MONTHLY: MONTHLY_DUE_WORKING_DAYS,
    ReportKind.QUARTERLY: QUARTERLY_DUE_WORKING_DAYS,
    ReportKind.ANNUAL: ANNUAL_DUE_WORKING_DAYS,
}
# The organisation is reminded this many working days before a report is due.
REPORT_REMINDER_WORKING_DAYS = 3

# Bounds that keep what people type within what the columns hold.
MAX_TARGETS_LENGTH = 20000
MAX_REPORT_LENGTH = 20000
MAX_MILESTONES = 60
MAX_MILESTONE_TITLE = 200
MAX_BUDGET = Decimal("9999999999.99")  # 万元, max_digits=12
MAX_COST = Decimal("999999999999.99")  # yuan, max_digits=14
MAX_TRAINEES_PER_YEAR = 1_000_000

# The projects that still report: under construction, or rectifying after a failed acceptance.
REPORTING_STATES = (ApplicationState.CONSTRUCTING, ApplicationState.RECTIFYING)


@dataclass(frozen=True)
class MilestoneTerm:
    title: str
    due_on: dt.date


@dataclass(frozen=True)
class AgreementTerms:
    """What the office writes into a task agreement (amounts of the budget in 万元, the fit-out
    cost in yuan)."""

    targets: str
    term_years: int
    starts_on: dt.date
    budget_total: Decimal
    funding: Mapping[str, Any]
    milestones: Sequence[MilestoneTerm]
    fit_out_cost: Decimal = ZERO
    trainees_per_year: Sequence[int] = field(default_factory=tuple)


def term_end(starts_on: dt.date, term_years: int) -> dt.date:
    """The last day of a term of `term_years` years from `starts_on` (a term from 29 February
    ends on 28 February)."""
    try:
        anniversary = starts_on.replace(year=starts_on.year + term_years)
    except ValueError:
        anniversary = dt.date(starts_on.year + term_years, 3, 1)
    return anniversary - dt.timedelta(days=1)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_amount(value: Any) -> Decimal | None:
    """A finite Decimal from a Decimal, an int or a numeric string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        return None
    try:
        amount = Decimal(value) if not isinstance(value, str) else Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def agreement_problems(terms: AgreementTerms) -> list[str]:
    """What is wrong with the terms of an agreement, as messages (empty when they are sound)."""
    problems: list[str] = []
    targets = (terms.targets or "").strip() if isinstance(terms.targets, str) else ""
    if not targets:
        problems.append(_("Write the construction targets."))
    elif len(targets) > MAX_TARGETS_LENGTH:
        problems.append(
            _("The construction targets are too long (at most %(n)d characters).")
            % {"n": MAX_TARGETS_LENGTH}
        )
    term_ok = _is_int(terms.term_years) and MIN_TERM_YEARS <= terms.term_years <= MAX_TERM_YEARS
    if not term_ok:
        problems.append(
            _("The term must be from %(min)d to %(max)d years (got %(term)s).")
            % {"min": MIN_TERM_YEARS, "max": MAX_TERM_YEARS, "term": terms.term_years}
        )
    starts_ok = isinstance(terms.starts_on, dt.date) and not isinstance(
        terms.starts_on, dt.datetime
    )
    if not starts_ok:
        problems.append(_("Give the date on which the term starts."))
    problems += _budget_problems(terms)
    problems += _subsidy_input_problems(terms, term_ok)
    if term_ok and starts_ok:
        problems += _milestone_problems(terms.milestones, terms.starts_on, terms.term_years)
    elif not terms.milestones:
        problems.append(_("Add at least one milestone."))
    return problems


def _budget_problems(terms: AgreementTerms) -> list[str]:
    problems: list[str] = []
    budget = as_amount(terms.budget_total)
    if budget is None or budget <= 0 or budget > MAX_BUDGET:
        problems.append(_("The total budget must be a positive amount (10,000 yuan)."))
    funding = terms.funding if isinstance(terms.funding, Mapping) else {}
    if not funding:
        problems.append(_("Give at least one funding source."))
    total = ZERO
    for code, value in funding.items():
        if code not in FundingSource.values:
            problems.append(_("Unknown funding source: %(code)s.") % {"code": code})
            continue
        amount = as_amount(value)
        if amount is None or amount <= 0 or amount > MAX_BUDGET:
            problems.append(
                _("The amount from “%(source)s” must be a positive amount.")
                % {"source": FundingSource(code).label}
            )
            continue
        total += amount
    if budget is not None and budget > 0 and funding and not problems and total != budget:
        problems.append(
            _(
                "The funding sources add up to %(sum)s, not to the total budget of %(total)s "
                "(10,000 yuan)."
            )
            % {"sum": total, "total": budget}
        )
    return problems


def _subsidy_input_problems(terms: AgreementTerms, term_ok: bool) -> list[str]:
    problems: list[str] = []
    cost = as_amount(terms.fit_out_cost)
    if cost is None or cost < 0 or cost > MAX_COST:
        problems.append(_("The fit-out cost must be an amount of zero or more (yuan)."))
    heads = list(terms.trainees_per_year or ())
    if any(not _is_int(n) or n < 0 or n > MAX_TRAINEES_PER_YEAR for n in heads):
        problems.append(_("The trainees of each year must be whole numbers of zero or more."))
    if term_ok and len(heads) > terms.term_years:
        problems.append(
            _("Trainees are given for %(n)d years, more than the term of %(term)d years.")
            % {"n": len(heads), "term": terms.term_years}
        )
    return problems


def _milestone_problems(
    milestones: Sequence[MilestoneTerm], starts_on: dt.date, term_years: int
) -> list[str]:
    if not milestones:
        return [_("Add at least one milestone.")]
    if len(milestones) > MAX_MILESTONES:
        return [_("At most %(n)d milestones.") % {"n": MAX_MILESTONES}]
    problems: list[str] = []
    ends_on = term_end(starts_on, term_years)
    for number, milestone in enumerate(milestones, start=1):
        title = milestone.title.strip() if isinstance(milestone.title, str) else ""
        if not title or len(title) > MAX_MILESTONE_TITLE:
            problems.append(
                _("Milestone %(n)d needs a title of at most %(max)d characters.")
                % {"n": number, "max": MAX_MILESTONE_TITLE}
            )
        due = milestone.due_on
        if not isinstance(due, dt.date) or isinstance(due, dt.datetime):
            problems.append(_("Milestone %(n)d needs a due date.") % {"n": number})
        elif not starts_on <= due <= ends_on:
            problems.append(
                _(
                    "Milestone “%(title)s” is due on %(due)s, outside the term "
                    "(%(start)s to %(end)s)."
                )
                % {"title": title, "due": due, "start": starts_on, "end": ends_on}
            )
    return problems


# Subsidies --------------------------------------------------------------------------------------


def compute_subsidies(
    rules: Iterable[SubsidyRule],
    *,
    fit_out_cost: Decimal | int,
    trainees_per_year: Sequence[int],
    claimed: Collection[str] | None = None,
) -> dict[str, Any]:
    """The subsidies of an agreement as JSON (amounts as yuan strings), or SubsidyError.

    `claimed` names the rules claimed by code; None claims every rule the agreement has figures
    for (a fit-out cost for share-of-cost rules, trainees for per-person rules), so two mutually
    exclusive rules that both apply are refused rather than one silently dropped.
    """
    rules = list(rules)
    by_code = {rule.code: rule for rule in rules}
    cost = Decimal(fit_out_cost)
    heads = list(trainees_per_year)
    if claimed is None:
        chosen = [
            rule
            for rule in rules
            if (rule.kind == SubsidyKind.SHARE_OF_COST and cost > 0)
            or (rule.kind == SubsidyKind.PER_HEAD and any(heads))
        ]
    else:
        unknown = sorted(set(claimed) - set(by_code))
        if unknown:
            raise SubsidyError(
                _("No active subsidy rule has the code %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        chosen = [rule for rule in rules if rule.code in set(claimed)]
    claims: list[Claim] = []
    lines: list[dict[str, Any]] = []
    for rule in chosen:
        if rule.kind == SubsidyKind.SHARE_OF_COST:
            amount = share_of_cost_amount(rule, cost)
            uncapped = to_fen(cost * rule.rate)
            claims.append(Claim(rule, amount))
            lines.append(_line(rule, amount, capped=amount < uncapped))
            continue
        if not any(heads):
            raise SubsidyError(
                _("“%(name)s” is paid per person trained: give the trainees of each year.")
                % {"name": rule.name}
            )
        rows = yearly_schedule(rule, heads)
        years = []
        for row in rows:
            if row.eligible and row.heads:
                claims.append(Claim(rule, row.amount, row.year))
            years.append(
                {
                    "year": row.year,
                    "heads": row.heads,
                    "amount": str(row.amount),
                    "capped": row.capped,
                    "eligible": row.eligible,
                }
            )
        amount = sum((row.amount for row in rows), ZERO)
        lines.append(_line(rule, amount, capped=any(r.capped for r in rows), years=years))
    combined = combine(claims)
    return {"lines": lines, "total": str(combined.total)}


def _line(
    rule: SubsidyRule, amount: Decimal, *, capped: bool, years: list | None = None
) -> dict[str, Any]:
    line = {
        "code": rule.code,
        "name": rule.name,
        "kind": str(rule.kind),
        "amount": str(amount),
        "capped": capped,
    }
    if years is not None:
        line["years"] = years
    return line


# Reports ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledReport:
    kind: str
    period: str
    due: dt.date


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _months(first: dt.date, last: dt.date) -> Iterable[tuple[int, int]]:
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def report_periods(starts_on: dt.date, term_years: int) -> list[tuple[str, str, dt.date]]:
    """(kind, period label, last day of the period) for every month, quarter and year that
    overlaps the term, in the order of their ends."""
    ends_on = term_end(starts_on, term_years)
    periods: list[tuple[str, str, dt.date]] = []
    for year, month in _months(starts_on, ends_on):
        periods.append((ReportKind.MONTHLY, f"{year}-{month:02d}", _month_end(year, month)))
        last_of_quarter = month % 3 == 0 or (year, month) == (ends_on.year, ends_on.month)
        if last_of_quarter:
            quarter = (month - 1) // 3 + 1
            periods.append(
                (ReportKind.QUARTERLY, f"{year}Q{quarter}", _month_end(year, quarter * 3))
            )
        if month == 12 or (year, month) == (ends_on.year, ends_on.month):
            periods.append((ReportKind.ANNUAL, f"{year}", dt.date(year, 12, 31)))
    order = list(ReportKind.values)
    return sorted(periods, key=lambda p: (p[2], order.index(p[0])))


def report_schedule(
    starts_on: dt.date,
    term_years: int,
    holidays: Collection[dt.date] = (),
    workdays: Collection[dt.date] = (),
) -> list[ScheduledReport]:
    """Every report of the term: its kind, period ("2026-11", "2026Q4", "2026") and due date,
    the fixed number of working days of its kind after the period ends."""
    return sorted(
        (
            ScheduledReport(
                kind,
                period,
                add_working_days(end, DUE_WORKING_DAYS[kind], holidays=holidays, workdays=workdays),
            )
            for kind, period, end in report_periods(starts_on, term_years)
        ),
        key=lambda r: (r.due, list(ReportKind.values).index(r.kind), r.period),
    )


def working_days_until(
    today: dt.date,
    day: dt.date,
    holidays: Collection[dt.date] = (),
    workdays: Collection[dt.date] = (),
) -> int:
    """How many working days come after `today` up to and including `day` (0 if none)."""
    count, current = 0, today
    while current < day:
        current += dt.timedelta(days=1)
        if is_working_day(current, holidays, workdays):
            count += 1
    return count


def reminder_is_due(
    today: dt.date,
    due_day: dt.date,
    holidays: Collection[dt.date] = (),
    workdays: Collection[dt.date] = (),
    working_days: int = REPORT_REMINDER_WORKING_DAYS,
) -> bool:
    """A report due on `due_day` is reminded from `working_days` working days before it."""
    return today <= due_day and working_days_until(today, due_day, holidays, workdays) <= (
        working_days
    )
