"""Forms of the approval moves on a task (issue 8)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from processes.models import SignPosition
from workflow.models import Department
from workflow.services.base import MAX_REASON_LENGTH

User = get_user_model()


def _reason(label: str, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "data-phrases-for": "1"}),
    )


def _person_label(user: object) -> str:
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: object) -> str:
        return _person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: object) -> str:
        return _person_label(obj)


class HandOverForm(forms.Form):
    to = PersonChoiceField(label=_("Colleague"), queryset=User.objects.none())
    reason = _reason(_("Reason"))

    def __init__(self, *args: object, colleagues: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = colleagues


class UrgeForm(forms.Form):
    note = _reason(_("Note to the assignee"), required=False)


class CopyForm(forms.Form):
    recipients = PeopleChoiceField(
        label=_("Copy to"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: object, candidates: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = candidates


class ReturnForm(forms.Form):
    to_step = forms.ChoiceField(label=_("Return to"))
    reason = _reason(_("Reason for returning"))

    def __init__(self, *args: object, steps: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = steps


class WithdrawForm(forms.Form):
    reason = _reason(_("Reason"), required=False)


class AddSignerForm(forms.Form):
    position = forms.ChoiceField(
        label=_("When"), choices=SignPosition.choices, widget=forms.RadioSelect
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    user = PersonChoiceField(label=_("or person"), queryset=User.objects.none(), required=False)
    reason = forms.CharField(label=_("Why their signature is needed"), max_length=200)

    def __init__(
        self, *args: object, departments: object, people: object, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["user"].queryset = people

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("department")) == bool(data.get("user")):
            raise forms.ValidationError(_("Choose either a department or a person, not both."))
        return data


class SignForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("agree", _("Agree")), ("disagree", _("Disagree"))],
        widget=forms.RadioSelect,
    )
    opinion = _reason(_("Opinion"))


class DelegationForm(forms.Form):
    delegate = PersonChoiceField(label=_("Delegate"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    may_delegate_onward = forms.BooleanField(
        label=_("The delegate may hand the tasks on to someone else"), required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: object, colleagues: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = colleagues
