"""Forms of the fault-tolerance case (容错纠错): field checks only; the rules are the
services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow.choices import ToleranceDecision
from workflow.rules.tolerance import CRITERION_LABELS
from workflow.services.base import MAX_REASON_LENGTH
from workflow.services.performance import MAX_TEXT_LENGTH

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _text(label: Any, rows: int = 5, max_length: int = MAX_TEXT_LENGTH, **kwargs: Any):
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        max_length=max_length,
        **kwargs,
    )


class ToleranceRequestForm(forms.Form):
    shortfall = _text(
        _("Targets missed"),
        help_text=_("Which targets of the agreement were missed, and by how much."),
    )
    reasons = _text(
        _("Reasons"),
        rows=8,
        help_text=_(
            "Why: exploratory reform or trying things first, the procedures followed, "
            "and what has been corrected already."
        ),
    )


class EvidenceField(forms.TypedMultipleChoiceField):
    """Audit events by id. The choices offered are the project's events, but any number is
    accepted here: whether an event may be cited is the service's rule, with its message."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value: Any) -> bool:
        try:
            return 0 < int(value) < 2**63
        except (TypeError, ValueError):
            return False


class ToleranceDecideForm(forms.Form):
    exploratory = forms.TypedChoiceField(
        label=CRITERION_LABELS["exploratory"],
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    procedures_followed = forms.TypedChoiceField(
        label=CRITERION_LABELS["procedures_followed"],
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    no_personal_gain = forms.TypedChoiceField(
        label=CRITERION_LABELS["no_personal_gain"],
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    proactive_correction = forms.TypedChoiceField(
        label=CRITERION_LABELS["proactive_correction"],
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    evidence = EvidenceField(
        label=_("Audit events cited as evidence"), widget=forms.CheckboxSelectMultiple
    )
    decision = forms.ChoiceField(
        label=_("Decision"), choices=ToleranceDecision.choices, widget=forms.RadioSelect
    )
    decision_reason = _text(_("Reasons for the decision"), max_length=MAX_REASON_LENGTH)
    correction_plan = _text(_("Correction plan"))
    correction_due = forms.DateField(label=_("Correction due"), widget=DATE_INPUT)

    def __init__(self, *args: Any, events: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [
            (
                e.pk,
                f"#{e.sequence} · {timezone.localtime(e.created_at):%Y-%m-%d %H:%M} · {e.action} · "
                f"{e.actor_name or '—'}",
            )
            for e in events
        ]


class CorrectionReportForm(forms.Form):
    report = _text(_("Correction report"), rows=8)


class VerifyForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("Verification"),
        choices=[
            ("yes", _("Correction verified: close the case")),
            ("no", _("Not yet: send it back")),
        ],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = _text(
        _("Note"),
        rows=3,
        max_length=MAX_REASON_LENGTH,
        required=False,
        help_text=_("Required when the correction is sent back."),
    )
