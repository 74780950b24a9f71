"""Django admin for configuration: units, memberships, calls, the holiday calendar.

State fields are read-only here: states change only through the services.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from workflow import access
from workflow.choices import CallState, Role
from workflow.models import (
    AuditEvent,
    CalendarDay,
    Call,
    Department,
    Membership,
    Office,
    Organisation,
)
from workflow.services.calls import CALL_TERMS, call_create, call_update


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "region"]
    list_filter = ["level"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "office"]
    list_filter = ["office"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "applicant_type", "region"]
    list_filter = ["applicant_type"]
    search_fields = ["name", "credit_code"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "office", "department"]
    list_filter = ["role"]
    autocomplete_fields = ["organisation"]


class CallAdminForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = [*CALL_TERMS, "office"]

    def clean(self):
        cleaned = super().clean()
        office = cleaned.get("office") or getattr(self.instance, "office", None)
        if office is not None and office.pk not in access.office_ids(
            self.request.user, (Role.OFFICE_STAFF,)
        ):
            raise forms.ValidationError(
                _("Only staff of the office that publishes this call may write it.")
            )
        return cleaned


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Calls are written through the services, so the admin is audited like the portal."""

    form = CallAdminForm
    list_display = ["title", "office", "level", "state", "opens_at", "closes_at", "quota"]
    list_filter = ["state", "level", "office"]
    readonly_fields = ["state", "published_at", "created_by", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request, obj=None):
        # Once published, a call's terms are what applicants relied on: no silent edits.
        if obj is not None and obj.state != CallState.DRAFT:
            return [f.name for f in obj._meta.concrete_fields]
        if obj is not None:
            return [*self.readonly_fields, "office"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        terms = {k: form.cleaned_data[k] for k in CALL_TERMS if k in form.cleaned_data}
        if change:
            saved = call_update(call=obj, by=request.user, terms=terms)
        else:
            saved = call_create(office=form.cleaned_data["office"], by=request.user, terms=terms)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "sequence",
        "created_at",
        "actor_name",
        "role",
        "action",
        "object_type",
        "object_id",
        "from_state",
        "to_state",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
