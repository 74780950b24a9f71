"""Admin of the award models: plaque numbering schemes are configuration; acceptances and
awards are records of decisions, shown read-only (they change only through
workflow.services.award, audited).

Office administrators (the office_admin group of workflow.roles) edit the numbering scheme of
their own office's level: the group's permission list does not name PlaqueScheme, so the
rights are granted here, scoped by the levels of the offices the user is staff of. Every change
of a scheme is audited with its old and new values.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from workflow import access, audit
from workflow.choices import Role
from workflow.models import Acceptance, Award, Office, PlaqueScheme
from workflow.roles import OFFICE_ADMIN_GROUP
from workflow.rules.acceptance import pattern_problems, plaque_number

SCHEME_FIELDS = ("pattern", "plaque_title")


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _office_admin_levels(request: HttpRequest) -> set[str]:
    """The levels whose scheme the user may edit as an office administrator."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return set()
    if not user.groups.filter(name=OFFICE_ADMIN_GROUP).exists():
        return set()
    office_ids = access.office_ids(user, (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR))
    return set(Office.objects.filter(pk__in=office_ids).values_list("level", flat=True))


class PlaqueSchemeForm(forms.ModelForm):
    class Meta:
        model = PlaqueScheme
        fields = ["level", *SCHEME_FIELDS]

    def clean_pattern(self) -> str:
        pattern = self.cleaned_data["pattern"].strip()
        problems = pattern_problems(pattern)
        if problems:
            raise forms.ValidationError(problems)
        return pattern


@admin.register(PlaqueScheme)
class PlaqueSchemeAdmin(admin.ModelAdmin):
    form = PlaqueSchemeForm
    list_display = ["level", "pattern", "example", "plaque_title"]

    @admin.display(description=_("example"))
    def example(self, obj: PlaqueScheme) -> str:
        return plaque_number(obj.pattern, 2026, 1) if not pattern_problems(obj.pattern) else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The level is what the counter and the awards are keyed on: fixed once set.
        return ["level"] if obj is not None else []

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or bool(_office_admin_levels(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or bool(_office_admin_levels(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().has_change_permission(request, obj):
            return True
        levels = _office_admin_levels(request)
        return bool(levels) and (obj is None or obj.level in levels)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Awards keep their numbers; a level without a scheme could not be awarded.
        return False

    def save_model(self, request: HttpRequest, obj: PlaqueScheme, form: Any, change: bool) -> None:
        # The admin runs this inside the change view's transaction, as audit.record needs.
        old = (
            PlaqueScheme.objects.filter(pk=obj.pk).values(*SCHEME_FIELDS).first()
            if change
            else None
        ) or {}
        super().save_model(request, obj, form, change)
        audit.record(
            action="plaquescheme.update" if change else "plaquescheme.create",
            obj=obj,
            by=request.user,
            role="office_admin" if not request.user.is_superuser else "admin",
            diff={
                "level": obj.level,
                **{
                    name: {"old": old.get(name), "new": getattr(obj, name)}
                    for name in SCHEME_FIELDS
                    if old.get(name) != getattr(obj, name)
                },
            },
        )


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["application", "number", "state", "total", "declared_at", "decided_at"]
    list_filter = ["state"]
    list_select_related = ["application", "application__organisation"]
    search_fields = ["application__title", "application__organisation__name"]


@admin.register(Award)
class AwardAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "application", "level", "awarded_on", "state", "revoked_on"]
    list_filter = ["level", "state"]
    list_select_related = ["application", "application__organisation"]
    search_fields = ["number", "application__title", "application__organisation__name"]
