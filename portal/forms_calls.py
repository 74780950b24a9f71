"""Forms for setting up a call (榜单) and its rubric (评分细则) in the portal.

They parse and bound what people send; `call_create` / `call_update` and the rubric services
decide (the window order, the tree's weights). The call form is a ModelForm over the service's
`CALL_TERMS`, so the model's own validation (field limits, the window constraint) applies as it
does in the admin; the JSON lists become checkboxes of their enumerations.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow.choices import (
    ApplicantType,
    AttachmentKind,
    ConstructionMode,
    Function,
    IndicatorKind,
)
from workflow.models import Call, Office, Rubric
from workflow.rubrics_data import SAMPLES
from workflow.rules.rubric import IndicatorSpec
from workflow.services.calls import CALL_TERMS

from .forms import PortalForm

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MAX_INDICATORS = 200
MAX_GUIDANCE_BANDS = 10


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )


def _checkboxes(label: Any, choices: type, required: bool = True) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices.choices,
        required=required,
        widget=forms.CheckboxSelectMultiple,
    )


class CallTermsForm(forms.ModelForm):
    """The terms of a call (CALL_TERMS); never saved itself, the services write the call."""

    functions = _checkboxes(_("Required functions"), Function)
    eligible_applicant_types = _checkboxes(_("Who may apply"), ApplicantType)
    allowed_modes = _checkboxes(_("Construction modes"), ConstructionMode)
    required_attachments = _checkboxes(_("Required attachments"), AttachmentKind, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    quota = forms.IntegerField(label=_("Quota"), min_value=1, max_value=10000)
    correction_working_days = forms.IntegerField(
        label=_("Working days allowed for a correction"), min_value=1, max_value=60
    )
    opens_at = _datetime_field(_("Applications open"))
    closes_at = _datetime_field(_("Applications close"))

    class Meta:
        model = Call
        fields = list(CALL_TERMS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", gettext("The closing time must be after the opening time."))
        return cleaned

    def terms(self, current: Call | None = None) -> dict[str, Any]:
        """The cleaned terms. The page shows times to the minute: a time left as it was keeps
        its stored seconds, so that saving other terms does not record a change of time."""
        terms = {name: self.cleaned_data[name] for name in CALL_TERMS}
        if current is not None:
            for name in ("opens_at", "closes_at"):
                stored = getattr(current, name)
                if stored and terms[name] == stored.replace(second=0, microsecond=0):
                    terms[name] = stored
        return terms


def terms_of(call: Call) -> dict[str, Any]:
    return {name: getattr(call, name) for name in CALL_TERMS}


def copy_terms(call: Call) -> dict[str, Any]:
    """The starting point copied from an earlier call: its terms, the dates cleared and the
    title marked as a copy."""
    terms = terms_of(call)
    terms["title"] = gettext("%(title)s (copy)") % {"title": call.title}
    terms["title"] = terms["title"][:200]
    terms["opens_at"] = terms["closes_at"] = None
    return terms


# Where a new call's rubric comes from: "" none yet, "sample:<key>", "rubric:<pk>" (a template
# or an earlier call's rubric of the user's offices).
SAMPLE_PREFIX, RUBRIC_PREFIX = "sample:", "rubric:"


class StartingPointForm(PortalForm):
    """GET form: which earlier call to copy the terms from (or none)."""

    copy_from = forms.ModelChoiceField(
        label=_("Copy the terms of an earlier call"),
        queryset=Call.objects.none(),
        required=False,
        empty_label=_("— blank call —"),
    )

    def __init__(self, *args: Any, calls: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = calls


class NewCallForm(CallTermsForm):
    """The terms of a new call, its office (when the user is staff of more than one) and the
    rubric to start from."""

    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none())
    rubric = forms.ChoiceField(label=_("Rubric to start from"), required=False)

    def __init__(self, *args: Any, offices: Any, rubrics: list[Rubric], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        only = list(offices[:2])
        self._only_office = only[0] if len(only) == 1 else None
        if self._only_office is not None:
            # Staff of one office write for it; the field is there only to choose between two.
            self.fields["office"].initial = self._only_office.pk
            self.fields["office"].required = False
            self.fields["office"].widget = forms.HiddenInput()
        choices: list[tuple[str, Any]] = [("", gettext("No rubric yet (add one later)"))]
        samples = [
            (f"{SAMPLE_PREFIX}{key}", gettext("Built-in sample: %(name)s") % {"name": s.name})
            for key, s in sorted(SAMPLES.items())
        ]
        templates = [(f"{RUBRIC_PREFIX}{r.pk}", r.name) for r in rubrics if r.call_id is None]
        earlier = [
            (f"{RUBRIC_PREFIX}{r.pk}", f"{r.call.title} · {r.name}")
            for r in rubrics
            if r.call_id is not None
        ]
        choices.append((gettext("Built-in samples"), samples))
        if templates:
            choices.append((gettext("Templates"), templates))
        if earlier:
            choices.append((gettext("Rubrics of earlier calls"), earlier))
        self.fields["rubric"].choices = choices
        self._rubrics = {r.pk: r for r in rubrics}

    def clean_office(self) -> Office | None:
        return self.cleaned_data.get("office") or self._only_office

    def rubric_source(self) -> dict[str, Any]:
        """The keyword arguments of call_create_from_template for the chosen rubric."""
        value = self.cleaned_data.get("rubric") or ""
        if value.startswith(SAMPLE_PREFIX):
            return {"rubric_sample": value[len(SAMPLE_PREFIX) :]}
        if value.startswith(RUBRIC_PREFIX):
            return {"rubric_source": self._rubrics[int(value[len(RUBRIC_PREFIX) :])]}
        return {}


# The rubric editor -------------------------------------------------------------------------


def guidance_text(bands: Any) -> str:
    """Guidance bands as the editor shows them: one “from–to: text” per line."""
    lines = []
    for band in bands or ():
        if isinstance(band, dict):
            lines.append(f"{band.get('from', '')}–{band.get('to', '')}: {band.get('text', '')}")
    return "\n".join(lines)


def parse_guidance(text: str) -> list[dict[str, str]]:
    """“from–to: text” lines (a hyphen or en dash, a colon or full-width colon) as bands."""
    bands = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        head, sep, body = line.replace("：", ":").partition(":")
        low, dash, high = head.replace("–", "-").replace("—", "-").partition("-")
        if not sep or not dash or not body.strip() or not low.strip() or not high.strip():
            raise forms.ValidationError(
                gettext("Line %(n)d: write a band as “from–to: text”, e.g. “8.5–10: excellent”.")
                % {"n": number}
            )
        try:
            Decimal(low.strip()), Decimal(high.strip())
        except ArithmeticError:
            raise forms.ValidationError(
                gettext("Line %(n)d: the band's bounds must be numbers of points.") % {"n": number}
            ) from None
        bands.append({"from": low.strip(), "to": high.strip(), "text": body.strip()})
    if len(bands) > MAX_GUIDANCE_BANDS:
        raise forms.ValidationError(
            gettext("At most %(n)d guidance bands per indicator.") % {"n": MAX_GUIDANCE_BANDS}
        )
    return bands


class IndicatorRowForm(PortalForm):
    """One row of the tree. Its position among its siblings is its order on the page."""

    code = forms.CharField(label=_("Code"), max_length=20)
    level = forms.TypedChoiceField(
        label=_("Level"), choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int, initial=1
    )
    parent = forms.CharField(label=_("Parent code"), max_length=20, required=False)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=IndicatorKind.choices, initial=IndicatorKind.JUDGED
    )
    weight = forms.DecimalField(
        label=_("Weight (points)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
    )
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    lower_is_better = forms.BooleanField(label=_("Lower is better"), required=False)
    guidance = forms.CharField(
        label=_("Scoring guidance"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The table's column headings are the visible labels; each input still names itself.
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", field.label)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()

    def clean_parent(self) -> str:
        return self.cleaned_data["parent"].strip()

    def clean_guidance(self) -> list[dict[str, str]]:
        return parse_guidance(self.cleaned_data.get("guidance") or "")

    @staticmethod
    def initial_of(spec: IndicatorSpec) -> dict[str, Any]:
        return {
            "code": spec.code,
            "level": spec.level,
            "parent": spec.parent or "",
            "name": spec.name,
            "kind": spec.kind,
            "weight": spec.weight,
            "unit": spec.unit,
            "lower_is_better": spec.lower_is_better,
            "guidance": guidance_text(spec.guidance),
        }


class BaseIndicatorFormSet(forms.BaseFormSet):
    """The rows to save: filled in and not marked for removal, in page order."""

    def specs(self) -> list[IndicatorSpec]:
        specs: list[IndicatorSpec] = []
        positions: dict[str | None, int] = {}
        for form in self.rows():
            data = form.cleaned_data
            parent = data["parent"] or None
            positions[parent] = positions.get(parent, 0) + 1
            specs.append(
                IndicatorSpec(
                    code=data["code"],
                    name=data["name"].strip(),
                    level=data["level"],
                    weight=data["weight"],
                    kind=data["kind"],
                    parent=parent,
                    position=positions[parent],
                    guidance=tuple(data["guidance"]),
                    lower_is_better=data["lower_is_better"],
                    unit=data["unit"].strip(),
                )
            )
        return specs

    def rows(self) -> list[forms.Form]:
        return [
            form
            for form in self.forms
            if not self._should_delete_form(form) and form.has_changed() and form.cleaned_data
        ]


IndicatorFormSet = forms.formset_factory(
    IndicatorRowForm,
    formset=BaseIndicatorFormSet,
    extra=3,
    can_delete=True,
    max_num=MAX_INDICATORS,
    validate_max=True,
    absolute_max=MAX_INDICATORS + 20,
)


class RubricNameForm(PortalForm):
    name = forms.CharField(label=_("Rubric name"), max_length=200)
