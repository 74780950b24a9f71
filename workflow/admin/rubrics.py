"""Django admin for rubrics (评分细则): the tree is edited here and written through the services.

The indicator rows are validated together (weights total 100, each heading the sum of its rows,
levels and parents consistent) before anything is saved, with messages that name the row; the
services then write the rubric and its tree in one audited transaction. Rubrics are never
deleted here: a call's rubric is part of the record of its review.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from workflow import access
from workflow.choices import Role
from workflow.models import Indicator, Rubric, Score, VerifiedValue
from workflow.rules.rubric import IndicatorSpec, tree_problems
from workflow.services.rubrics import (
    EDITABLE_CALL_STATES,
    SETTINGS,
    rubric_create,
    rubric_set_indicators,
    rubric_update_settings,
)


class IndicatorInlineForm(forms.ModelForm):
    parent_code = forms.CharField(label=_("parent code"), required=False, max_length=20)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "level",
            "parent_code",
            "position",
            "weight",
            "kind",
            "lower_is_better",
            "unit",
            "guidance",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.parent_id:
            self.fields["parent_code"].initial = self.instance.parent.code

    def spec(self) -> IndicatorSpec:
        data = self.cleaned_data
        return IndicatorSpec(
            code=data["code"].strip(),
            name=data["name"].strip(),
            level=data["level"],
            weight=data["weight"],
            kind=data["kind"],
            parent=(data.get("parent_code") or "").strip() or None,
            position=data.get("position") or 0,
            guidance=tuple(data.get("guidance") or ()),
            lower_is_better=data.get("lower_is_better", False),
            unit=data.get("unit", ""),
        )


class IndicatorFormSet(BaseInlineFormSet):
    def specs(self) -> list[IndicatorSpec]:
        return [
            form.spec()
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        problems = tree_problems(self.specs())
        if problems:
            raise forms.ValidationError(problems)

    def validate_unique(self) -> None:
        # The tree is replaced as a whole by the service; codes are checked by tree_problems.
        pass


class IndicatorInline(admin.TabularInline):
    model = Indicator
    form = IndicatorInlineForm
    formset = IndicatorFormSet
    fk_name = "rubric"
    extra = 0
    ordering = ["level", "position", "code"]


class RubricAdminForm(forms.ModelForm):
    class Meta:
        model = Rubric
        fields = ["name", "call", "source", *SETTINGS[1:]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        call = data.get("call") or self.instance.call
        user = self.request.user
        if call is not None and call.office_id not in access.office_ids(user, (Role.OFFICE_STAFF,)):
            raise forms.ValidationError(
                _("Only staff of the office that runs this call may write its rubric.")
            )
        if call is None and not user.has_perm("workflow.change_rubric"):
            raise forms.ValidationError(_("Only administrators may change template rubrics."))
        if self.instance.pk and self.instance.call_id:
            started = (
                Score.objects.filter(indicator__rubric=self.instance).exists()
                or VerifiedValue.objects.filter(indicator__rubric=self.instance).exists()
            )
            if started or self.instance.call.state not in EDITABLE_CALL_STATES:
                raise forms.ValidationError(
                    _("Scoring has begun on this call, so its rubric can no longer be changed.")
                )
        return data


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    form = RubricAdminForm
    inlines = [IndicatorInline]
    list_display = ["name", "call", "aggregation", "dispersion_margin"]
    list_filter = ["aggregation"]
    search_fields = ["name", "call__title"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request, obj=None):
        return ["call", "source"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        # Written with its tree in save_related, through the services.
        pass

    def save_related(self, request, form, formsets, change):
        specs = formsets[0].specs()
        # The service replaces the tree; the admin's change message reads these.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        settings = {k: form.cleaned_data[k] for k in SETTINGS if k in form.cleaned_data}
        if change:
            rubric = Rubric.objects.get(pk=form.instance.pk)
            rubric_update_settings(rubric=rubric, by=request.user, **settings)
            rubric_set_indicators(rubric=rubric, by=request.user, specs=specs)
        else:
            rubric = rubric_create(
                specs=specs,
                by=request.user,
                call=form.cleaned_data.get("call"),
                source=form.cleaned_data.get("source", ""),
                **settings,
            )
            form.instance.pk = rubric.pk

    def has_delete_permission(self, request, obj=None):
        return False
