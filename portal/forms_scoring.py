"""Forms of expert review: the score sheet, explanations, reopening, verified values, ranking.

They parse and check what people send (numbers, ranges, lengths) and, on the score sheet, point
at the field concerned; the services decide and check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow.choices import Aggregation, IndicatorKind
from workflow.models import Indicator, Rubric, Score, VerifiedValue
from workflow.rules import scoring as rules
from workflow.selectors.scoring import RubricTree
from workflow.services.base import MAX_REASON_LENGTH

from .forms import PortalForm

SCORE_PREFIX = "score_"
COMMENT_PREFIX = "comment_"
VALUE_PREFIX = "value_"
NOTE_PREFIX = "note_"


def _points(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class SheetRow:
    """One row of the sheet as the template shows it: a heading, or a leaf with its inputs."""

    indicator: Indicator
    is_leaf: bool
    score: forms.BoundField | None = None
    comment: forms.BoundField | None = None
    saved: Score | None = None
    declared: Any = None


class ScoreSheetForm(PortalForm):
    """One score and one comment per expert-judged indicator; `submitting` adds the checks of
    submission (every mark given, unusual marks explained) next to the fields concerned."""

    def __init__(
        self, *args: Any, tree: RubricTree, submitting: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tree, self.submitting = tree, submitting
        rubric = tree.rubric
        for indicator in tree.judged:
            low = indicator.weight * rubric.abnormal_low_ratio
            high = indicator.weight * rubric.abnormal_high_ratio
            self.fields[f"{SCORE_PREFIX}{indicator.pk}"] = forms.DecimalField(
                label=gettext("Score for %(code)s (0–%(max)s)")
                % {"code": indicator.code, "max": _points(indicator.weight)},
                required=False,
                min_value=Decimal(0),
                max_value=indicator.weight,
                max_digits=6,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.01",
                        "min": "0",
                        "max": f"{indicator.weight:f}",
                        "class": "score-input",
                        "data-max": f"{indicator.weight:f}",
                        "data-low": f"{low:f}",
                        "data-high": f"{high:f}",
                        "inputmode": "decimal",
                    }
                ),
            )
            self.fields[f"{COMMENT_PREFIX}{indicator.pk}"] = forms.CharField(
                label=gettext("Comment on %(code)s") % {"code": indicator.code},
                required=False,
                max_length=MAX_REASON_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2, "class": "score-comment"}),
            )

    @staticmethod
    def initial_from(scores: dict[int, Score]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for indicator_id, score in scores.items():
            initial[f"{SCORE_PREFIX}{indicator_id}"] = score.value
            initial[f"{COMMENT_PREFIX}{indicator_id}"] = score.comment
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        rubric = self.tree.rubric
        for indicator in self.tree.judged:
            score_name = f"{SCORE_PREFIX}{indicator.pk}"
            comment_name = f"{COMMENT_PREFIX}{indicator.pk}"
            if score_name in self.errors:
                continue
            value, comment = data.get(score_name), (data.get(comment_name) or "").strip()
            if value is None:
                if comment:
                    self.add_error(score_name, gettext("A comment needs a score."))
                elif self.submitting:
                    self.add_error(score_name, gettext("Give a score before submitting."))
                continue
            direction = rules.abnormal_direction(
                value,
                indicator.weight,
                low_ratio=rubric.abnormal_low_ratio,
                high_ratio=rubric.abnormal_high_ratio,
            )
            if self.submitting and direction and not comment:
                self.add_error(
                    comment_name,
                    gettext("This score is unusually low; explain it.")
                    if direction == "low"
                    else gettext("This score is unusually high; explain it."),
                )
        return data

    def marks(self) -> dict[str, rules.Mark]:
        return {
            i.code: rules.Mark(
                self.cleaned_data.get(f"{SCORE_PREFIX}{i.pk}"),
                (self.cleaned_data.get(f"{COMMENT_PREFIX}{i.pk}") or "").strip(),
            )
            for i in self.tree.judged
        }

    def running_total(self) -> Decimal:
        """The total of the marks on the page (what was typed, if posted); what the script
        keeps up to date in the browser."""
        total = Decimal(0)
        for indicator in self.tree.judged:
            name = f"{SCORE_PREFIX}{indicator.pk}"
            raw = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
            try:
                value = Decimal(str(raw).strip()) if raw not in (None, "") else None
            except InvalidOperation:
                value = None
            if value is not None and value.is_finite() and 0 <= value <= indicator.weight:
                total += value
        return rules.round_points(total)

    def rows(self, saved: dict[int, Score], declared: dict[str, Any]) -> list[SheetRow]:
        rows = []
        for indicator in self.tree.indicators:
            leaf = self.tree.is_leaf(indicator)
            row = SheetRow(indicator, leaf, saved=saved.get(indicator.pk))
            if leaf and indicator.kind == IndicatorKind.JUDGED:
                row.score = self[f"{SCORE_PREFIX}{indicator.pk}"]
                row.comment = self[f"{COMMENT_PREFIX}{indicator.pk}"]
            elif leaf:
                row.declared = declared.get(indicator.code)
            rows.append(row)
        return rows


class ExplanationForm(PortalForm):
    explanation = forms.CharField(
        label=_("Written explanation"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Why your total differs from the panel's: required when it differs by more than the "
            "margin set for this call."
        ),
    )


class ReopenForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason for reopening"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The expert sees this reason."),
    )


class ConfirmShortlistForm(PortalForm):
    reason = forms.CharField(
        label=_("Note for the record (optional)"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VerifiedValuesForm(PortalForm):
    """One value and one note per quantitative indicator or veto item of the rubric."""

    VETO_CHOICES = (
        ("", _("— not checked yet —")),
        ("0", _("Not established")),
        ("1", _("Established: disqualifies")),
    )

    def __init__(
        self,
        *args: Any,
        tree: RubricTree,
        declared: dict[str, Decimal | None],
        existing: dict[int, VerifiedValue],
        **kwargs: Any,
    ) -> None:
        if "initial" not in kwargs:
            kwargs["initial"] = self._initial(tree, declared, existing)
        super().__init__(*args, **kwargs)
        self.tree, self.declared, self.existing = tree, declared, existing
        for indicator in tree.verifiable:
            label = f"{indicator.code} {indicator.name}"
            if indicator.kind == IndicatorKind.VETO:
                field: forms.Field = forms.ChoiceField(
                    label=label, choices=self.VETO_CHOICES, required=False
                )
            else:
                field = forms.DecimalField(
                    label=label,
                    required=False,
                    min_value=Decimal(0),
                    max_digits=14,
                    decimal_places=4,
                    widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
                )
            self.fields[f"{VALUE_PREFIX}{indicator.pk}"] = field
            self.fields[f"{NOTE_PREFIX}{indicator.pk}"] = forms.CharField(
                label=gettext("Note on %(code)s") % {"code": indicator.code},
                required=False,
                max_length=MAX_REASON_LENGTH,
            )

    @staticmethod
    def _initial(tree: RubricTree, declared: dict, existing: dict) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for indicator in tree.verifiable:
            row = existing.get(indicator.pk)
            if row is not None:
                value: Any = row.verified
                if indicator.kind == IndicatorKind.VETO:
                    value = str(int(row.verified))
                initial[f"{VALUE_PREFIX}{indicator.pk}"] = value
                initial[f"{NOTE_PREFIX}{indicator.pk}"] = row.note
            elif indicator.kind == IndicatorKind.QUANTITATIVE:
                initial[f"{VALUE_PREFIX}{indicator.pk}"] = declared.get(indicator.code)
        return initial

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "indicator": i,
                "declared": self.declared.get(i.code),
                "value": self[f"{VALUE_PREFIX}{i.pk}"],
                "note": self[f"{NOTE_PREFIX}{i.pk}"],
                "existing": self.existing.get(i.pk),
            }
            for i in self.tree.verifiable
        ]

    def values(self) -> dict[str, tuple[Any, str]]:
        """code -> (value, note) for every row given a value; empty rows are left alone."""
        given = {}
        for indicator in self.tree.verifiable:
            value = self.cleaned_data.get(f"{VALUE_PREFIX}{indicator.pk}")
            if value in (None, ""):
                continue
            note = (self.cleaned_data.get(f"{NOTE_PREFIX}{indicator.pk}") or "").strip()
            given[indicator.code] = (value, note)
        return given


class RubricSettingsForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    aggregation = forms.ChoiceField(label=_("Aggregation of the experts' totals"))
    dispersion_margin = forms.DecimalField(
        label=_("Dispersion margin (points from the panel mean)"),
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
    )
    abnormal_low_ratio = forms.DecimalField(
        label=_("Unusually low below (share of an indicator's maximum)"),
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=3,
        decimal_places=2,
    )
    abnormal_high_ratio = forms.DecimalField(
        label=_("Unusually high above (share of an indicator's maximum)"),
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=3,
        decimal_places=2,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["aggregation"].choices = Aggregation.choices

    @staticmethod
    def initial_from(rubric: Rubric) -> dict[str, Any]:
        return {name: getattr(rubric, name) for name in RubricSettingsForm.base_fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("abnormal_low_ratio"), data.get("abnormal_high_ratio")
        if low is not None and high is not None and low >= high:
            self.add_error("abnormal_high_ratio", gettext("Must be above the low bound."))
        return data


class TemplateChoiceForm(PortalForm):
    template = forms.ModelChoiceField(
        label=_("Rubric template"), queryset=Rubric.objects.filter(call__isnull=True)
    )
