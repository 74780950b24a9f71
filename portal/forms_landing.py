"""Forms of the landing pages (揭榜落地): they parse what people send; the services decide.

The agreement form refuses malformed figures next to their field; the rules of an agreement
(term, funding adding up to the budget, milestones within the term, subsidies) are the
service's, reported on the form from there.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm
from workflow.choices import FundingSource
from workflow.models import Agreement, SubsidyRule
from workflow.models.landing import MAX_TERM_YEARS, MIN_TERM_YEARS
from workflow.rules import landing as rules
from workflow.services.base import MAX_REASON_LENGTH

FUNDING_PREFIX = "funding_"
TRAINEES_PREFIX = "trainees_year_"
YEARS = range(1, MAX_TERM_YEARS + 1)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AgreementForm(PortalForm):
    """The task agreement (揭榜任务书), without its milestones (a formset of its own)."""

    targets = forms.CharField(
        label=_("Construction targets"),
        max_length=rules.MAX_TARGETS_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    term_years = forms.TypedChoiceField(
        label=_("Term (years)"),
        coerce=int,
        choices=[(n, n) for n in range(MIN_TERM_YEARS, MAX_TERM_YEARS + 1)],
    )
    starts_on = forms.DateField(label=_("Term starts"), widget=_date_input())
    budget_total = forms.DecimalField(
        label=_("Total budget (10,000 yuan)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
    )
    fit_out_cost = forms.DecimalField(
        label=_("Fit-out cost (yuan)"),
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        help_text=_("The verified fit-out and design cost, for the share-of-cost subsidies."),
    )
    claims = forms.MultipleChoiceField(
        label=_("Subsidies claimed"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Mutually exclusive rewards cannot be claimed together."),
    )

    def __init__(self, *args: Any, agreement: Agreement | None = None, **kwargs: Any) -> None:
        subsidy_rules = list(SubsidyRule.objects.filter(active=True).order_by("code"))
        if agreement is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(agreement)
        elif "initial" not in kwargs:
            kwargs["initial"] = {"claims": [r.code for r in subsidy_rules]}
        super().__init__(*args, **kwargs)
        self.fields["claims"].choices = [(r.code, r.name) for r in subsidy_rules]
        for source in FundingSource:
            self.fields[FUNDING_PREFIX + source.value] = forms.DecimalField(
                label=source.label,
                required=False,
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            )
        for year in YEARS:
            self.fields[TRAINEES_PREFIX + str(year)] = forms.IntegerField(
                label=_("Trainees in year %(year)d") % {"year": year},
                required=False,
                min_value=0,
                max_value=rules.MAX_TRAINEES_PER_YEAR,
            )

    @staticmethod
    def initial_from(agreement: Agreement) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "targets": agreement.targets,
            "term_years": agreement.term_years,
            "starts_on": agreement.starts_on,
            "budget_total": agreement.budget_total,
            "fit_out_cost": agreement.fit_out_cost,
            "claims": [line["code"] for line in (agreement.subsidies or {}).get("lines", [])],
        }
        for code, amount in (agreement.funding or {}).items():
            initial[FUNDING_PREFIX + code] = amount
        for year, heads in enumerate(agreement.trainees_per_year or [], start=1):
            initial[TRAINEES_PREFIX + str(year)] = heads
        return initial

    def funding_fields(self) -> list[forms.BoundField]:
        return [self[FUNDING_PREFIX + s.value] for s in FundingSource]

    def trainee_fields(self) -> list[forms.BoundField]:
        return [self[TRAINEES_PREFIX + str(year)] for year in YEARS]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("targets", "term_years", "starts_on", "budget_total")]

    # What the service takes.

    def funding(self) -> dict[str, Decimal]:
        lines = {}
        for source in FundingSource:
            amount = self.cleaned_data.get(FUNDING_PREFIX + source.value)
            if amount is not None:
                lines[source.value] = amount
        return lines

    def trainees_per_year(self) -> list[int]:
        """Head counts from year 1 to the last year filled in; a blank year between is 0."""
        heads = [self.cleaned_data.get(TRAINEES_PREFIX + str(year)) for year in YEARS]
        while heads and heads[-1] is None:
            heads.pop()
        return [n or 0 for n in heads]

    def terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "targets": data["targets"],
            "term_years": data["term_years"],
            "starts_on": data["starts_on"],
            "budget_total": data["budget_total"],
            "funding": self.funding(),
            "fit_out_cost": data.get("fit_out_cost") or Decimal(0),
            "trainees_per_year": self.trainees_per_year(),
            "claims": list(data.get("claims") or []),
        }


class MilestoneForm(PortalForm):
    title = forms.CharField(label=_("Milestone"), max_length=rules.MAX_MILESTONE_TITLE)
    due_on = forms.DateField(label=_("Due on"), widget=_date_input())


MilestoneFormSet = forms.formset_factory(
    MilestoneForm,
    extra=2,
    can_delete=True,
    max_num=rules.MAX_MILESTONES,
    validate_max=True,
    absolute_max=rules.MAX_MILESTONES + 10,
)


def milestones_of(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The filled-in, not deleted milestones of a valid formset."""
    return [
        {"title": f.cleaned_data["title"], "due_on": f.cleaned_data["due_on"]}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class ReturnForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason for returning"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Say what the office should change."),
    )


class ReportForm(PortalForm):
    content = forms.CharField(
        label=_("Report"),
        max_length=rules.MAX_REPORT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
    )


class MilestoneDoneForm(PortalForm):
    done_on = forms.DateField(label=_("Reached on"), widget=_date_input())
