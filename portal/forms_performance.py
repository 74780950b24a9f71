"""Forms of the yearly performance evaluation (绩效评价): field checks only; the rules are the
services'."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow.choices import PerformanceGrade
from workflow.rules.performance import INDICATORS, MAX_VALUE
from workflow.services.base import MAX_REASON_LENGTH
from workflow.services.performance import FIRST_YEAR, MAX_EVALUATOR_LENGTH, MAX_TEXT_LENGTH

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def end_of_day(day: dt.date) -> dt.datetime:
    """A deadline given as a date means the end of that day, Beijing time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


class PerformanceOpenForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=None, empty_label=None)
    due_on = forms.DateField(label=_("Self-report due on"), widget=DATE_INPUT)

    def __init__(self, *args: Any, offices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        # The current year is read per request: a form class would keep the year it started in.
        self.fields["year"] = forms.IntegerField(
            label=_("Year evaluated"), min_value=FIRST_YEAR, max_value=timezone.localdate().year
        )
        self.order_fields(["office", "year", "due_on"])
        if not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year - 1)

    @property
    def due_at(self) -> dt.datetime:
        return end_of_day(self.cleaned_data["due_on"])


class SelfReportForm(forms.Form):
    self_assessment = forms.CharField(
        label=_("Self-assessment"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TEXT_LENGTH,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for indicator in INDICATORS:
            self.fields[f"indicator_{indicator.code}"] = forms.IntegerField(
                label=indicator.label,
                min_value=0,
                max_value=MAX_VALUE,
                help_text=indicator.unit,
            )
        # The indicators first, then the text.
        self.order_fields([*(f"indicator_{i.code}" for i in INDICATORS), "self_assessment"])

    @property
    def indicator_values(self) -> dict[str, int]:
        return {i.code: self.cleaned_data[f"indicator_{i.code}"] for i in INDICATORS}


class EvaluateForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("Grade"), choices=PerformanceGrade.choices, widget=forms.RadioSelect
    )
    findings = forms.CharField(
        label=_("Findings"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
        help_text=_("Required for a failing grade: what must be rectified."),
    )
    evaluator = forms.CharField(
        label=_("Evaluated by"),
        max_length=MAX_EVALUATOR_LENGTH,
        required=False,
        help_text=_("Name the third-party evaluator, or leave blank if the office evaluated."),
    )
    rectification_due = forms.DateField(
        label=_("Rectification due"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("For a failing grade; 180 days from today if left blank."),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Verification note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_REASON_LENGTH,
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_REASON_LENGTH,
    )
