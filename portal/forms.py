"""Forms: they parse and validate what people send; the services decide.

A form refuses anything malformed (unknown choices, non-numbers, over-long text) with a message
next to the field, so nothing odd ever reaches a service. The rules of a call (window,
eligibility, completeness) stay in the services and are reported from there.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow.choices import (
    ApplicationState,
    AttachmentKind,
    ConstructionMode,
    FormalCheckOutcome,
    Function,
    FundingSource,
)
from workflow.models import Application, Call, Organisation
from workflow.services.base import MAX_REASON_LENGTH

FUNDING_PREFIX = "funding_"
CONTENT_FIELDS = (
    "title",
    "construction_mode",
    "functions",
    "plan",
    "project_lead",
    "contact_phone",
)

# The multi-step application form (申报书分步填写): which fields each step edits. The order is the
# order of the steps; the attachments and the confirmation follow them and have no form fields.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "overview": ("organisation", "title", "construction_mode", "functions"),
    "plan": ("plan",),
    "contact": ("project_lead", "contact_phone"),
    "funding": tuple(FUNDING_PREFIX + source.value for source in FundingSource),
    "partners": ("partners",),
}
FORM_STEPS = tuple(STEP_FIELDS)

phone_validator = RegexValidator(
    r"^[0-9+()\- ]{5,32}$",
    _("Enter a telephone number: digits, spaces, “+”, “-” and brackets only."),
)


class PortalForm(forms.Form):
    """Labels without a trailing colon: the layout sets them apart already."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _label(choices: type, value: str) -> Any:
    try:
        return choices(value).label
    except ValueError:
        return value


class ApplicationForm(PortalForm):
    """The content of an application (申报书). Only the title is needed for a draft; everything
    else is checked when the applicant submits, so work can be saved half-done.

    With ``steps`` the form holds only those steps' fields (STEP_FIELDS) and hands the services
    only what it holds: content without the other fields, no partners or funding unless shown.
    Without it the form is the whole application on one page."""

    organisation = forms.ModelChoiceField(
        label=_("Applying organisation"), queryset=Organisation.objects.none()
    )
    title = forms.CharField(label=_("Project title"), max_length=200)
    construction_mode = forms.ChoiceField(label=_("Construction mode"), required=False)
    functions = forms.MultipleChoiceField(
        label=_("Functions"),
        choices=Function.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    plan = forms.CharField(
        label=_("Construction plan"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    project_lead = forms.CharField(label=_("Project lead"), required=False, max_length=100)
    contact_phone = forms.CharField(
        label=_("Contact phone"), required=False, max_length=32, validators=[phone_validator]
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partner organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        call: Call,
        organisations: list[Organisation],
        application: Application | None = None,
        steps: Collection[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.call = call
        self.application = application
        if application is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(application)
        super().__init__(*args, **kwargs)
        own = application.organisation if application is not None else None
        if own is None and len(organisations) == 1:
            own = organisations[0]
        self.own_organisation = own
        if own is None:
            # Several organisations: the applicant says for which one it applies.
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk__in=[o.pk for o in organisations]
            )
        else:
            del self.fields["organisation"]
        partners = Organisation.objects.order_by("name")
        if own is not None:
            partners = partners.exclude(pk=own.pk)
        self.fields["partners"].queryset = partners
        modes = [m for m in call.allowed_modes if m in ConstructionMode.values]
        self.fields["construction_mode"].choices = [("", _("— choose —"))] + [
            (m, ConstructionMode(m).label) for m in modes
        ]
        if call.functions:
            self.fields["functions"].help_text = gettext("This call requires: %(functions)s.") % {
                "functions": "、".join(str(_label(Function, f)) for f in call.functions)
            }
        self.fields["contact_phone"].widget.attrs.update({"inputmode": "tel"})
        for source in FundingSource:
            self.fields[FUNDING_PREFIX + source.value] = forms.DecimalField(
                label=source.label,
                required=False,
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            )
        if steps is not None:
            shown = {name for step in steps for name in STEP_FIELDS[step]}
            for name in list(self.fields):
                if name not in shown:
                    del self.fields[name]

    @staticmethod
    def initial_from(application: Application) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(application, name) for name in CONTENT_FIELDS}
        initial["partners"] = [p.pk for p in application.partners.all()]
        for line in application.funding.all():
            initial[FUNDING_PREFIX + line.source] = line.amount
        return initial

    def funding_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in STEP_FIELDS["funding"] if name in self.fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = data.get("organisation") or self.own_organisation
        partners = data.get("partners") or []
        if chosen is not None and any(p.pk == chosen.pk for p in partners):
            self.add_error("partners", _("An organisation cannot be its own partner."))
        return data

    # What the services take.

    def chosen_organisation(self) -> Organisation:
        return self.cleaned_data.get("organisation") or self.own_organisation

    def content(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CONTENT_FIELDS if name in self.fields}

    def partner_ids(self) -> list[int] | None:
        """None when the form does not show the partners: they stay as they are."""
        if "partners" not in self.fields:
            return None
        return [p.pk for p in self.cleaned_data["partners"]]

    def funding(self) -> dict[str, Decimal] | None:
        """None when the form does not show the funding lines: they stay as they are."""
        if not self.funding_fields():
            return None
        lines = {}
        for source in FundingSource:
            amount = self.cleaned_data.get(FUNDING_PREFIX + source.value)
            if amount:
                lines[source.value] = amount
        return lines


class AttachmentForm(PortalForm):
    kind = forms.ChoiceField(label=_("Document"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("PDF file"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "attachment")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("PDF only, at most %(limit)s.") % {
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)
        }


class WithdrawForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason for withdrawing (optional)"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "withdraw")
        super().__init__(*args, **kwargs)


class FormalCheckForm(PortalForm):
    """形式审查: one of three outcomes; a return or a rejection needs a reason for the applicant."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=FormalCheckOutcome.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required when returning or rejecting: the applicant sees it. For a return, say "
            "exactly what to correct."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "check")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        outcome = data.get("outcome")
        if (
            outcome in (FormalCheckOutcome.RETURNED, FormalCheckOutcome.REJECTED)
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Give the reason for returning or rejecting."))
        return data


class CancelCallForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "cancel")
        super().__init__(*args, **kwargs)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for cancelling."))
        return reason


QUEUE_ALL = "all"


class QueueFilterForm(PortalForm):
    state = forms.ChoiceField(label=_("Status"), required=False)
    call = forms.ModelChoiceField(
        label=_("Call"), queryset=Call.objects.none(), required=False, empty_label=_("All calls")
    )

    def __init__(self, *args: Any, calls: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [
            (s.value, s.label) for s in ApplicationState if s != ApplicationState.DRAFT
        ] + [(QUEUE_ALL, _("All statuses"))]
        self.fields["call"].queryset = calls

    def state_filter(self) -> str | None:
        state = self.cleaned_data.get("state") or ApplicationState.SUBMITTED
        return None if state == QUEUE_ALL else state
