"""Forms for the public objection (异议) and the office's answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflow.models.publicity import ObjectionOutcome, ObjectorKind
from workflow.rules.publicity import MIN_FACTS_LENGTH
from workflow.services.base import MAX_REASON_LENGTH


class ObjectionForm(forms.Form):
    """Field checks only; whether the objection is accepted is the service's rule."""

    objector_kind = forms.ChoiceField(
        label=_("I object as"), choices=ObjectorKind.choices, widget=forms.RadioSelect
    )
    organisation_name = forms.CharField(
        label=_("Organisation name"), max_length=200, required=False
    )
    letter = forms.FileField(
        label=_("Letter bearing the official seal (PDF)"),
        required=False,
        help_text=_("Organisations: upload the signed letter with the official seal, scanned."),
    )
    person_name = forms.CharField(label=_("Real name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    id_number = forms.CharField(label=_("ID number (optional)"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    facts = forms.CharField(
        label=_("Specific facts"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10000,
        help_text=_("Describe the concrete facts and evidence (at least %(n)d characters).")
        % {"n": MIN_FACTS_LENGTH},
    )


class ObjectionAnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("dismiss", _("Dismiss")), ("uphold", _("Uphold"))],
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("If upheld"), choices=[("", "—"), *ObjectionOutcome.choices], required=False
    )
    answer = forms.CharField(
        label=_("Written answer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_REASON_LENGTH,
    )
