"""Forms of the acceptance (评审认定) and award (授牌) pages.

They parse and bound what is typed; the services decide (workflow.services.award), so a form
that passes may still be refused with the service's message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from workflow.rules.acceptance import RUBRIC
from workflow.services.award import MAX_REPORT_LENGTH
from workflow.services.base import MAX_REASON_LENGTH


class DeclareForm(forms.Form):
    completion_report = forms.CharField(
        label=_("Completion report"),
        max_length=MAX_REPORT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "What was built against the task agreement: targets, funding spent, functions in "
            "operation, management. The acceptance panel reads it with the site visit."
        ),
    )


class AcceptanceScoresForm(forms.Form):
    """One fieldset per panel expert, one field per indicator, from the signed paper sheets."""

    conclusion = forms.CharField(
        label=_("Panel conclusion"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    rectification_due = forms.DateField(
        label=_("Rectification due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only if the review fails; empty means 60 working days from today."),
    )

    def __init__(self, panel: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.panel = panel
        for member in panel:
            for indicator in RUBRIC:
                self.fields[self.field_name(member["expert"], indicator.code)] = forms.DecimalField(
                    label=indicator.label,
                    min_value=Decimal(0),
                    max_value=indicator.weight,
                    max_digits=5,
                    decimal_places=2,
                    widget=forms.NumberInput(attrs={"step": "0.01"}),
                )

    @staticmethod
    def field_name(expert_id: int, code: str) -> str:
        return f"e{expert_id}_{code}"

    def sheets(self) -> dict[int, dict[str, Decimal]]:
        return {
            member["expert"]: {
                i.code: self.cleaned_data[self.field_name(member["expert"], i.code)] for i in RUBRIC
            }
            for member in self.panel
        }

    def expert_fieldsets(self) -> list[tuple[dict[str, Any], list[forms.BoundField]]]:
        """(panel member, their bound fields) in panel order, for the template."""
        return [
            (member, [self[self.field_name(member["expert"], i.code)] for i in RUBRIC])
            for member in self.panel
        ]


class AwardForm(forms.Form):
    awarded_on = forms.DateField(
        label=_("Award date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty means today."),
    )


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for terminating"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
