"""Django admin for configuration: units, memberships, calls, the holiday calendar.

State fields are read-only here: states change only through the services.
"""

from django.contrib import admin

from workflow.choices import CallState
from workflow.models import (
    AuditEvent,
    CalendarDay,
    Call,
    Department,
    Membership,
    Office,
    Organisation,
)


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


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "office", "level", "state", "opens_at", "closes_at", "quota"]
    list_filter = ["state", "level", "office"]
    readonly_fields = ["state", "published_at", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # Once published, a call's terms are what applicants relied on: no silent edits.
        if obj is not None and obj.state != CallState.DRAFT:
            return [f.name for f in obj._meta.concrete_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


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
