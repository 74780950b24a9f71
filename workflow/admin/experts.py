"""Admin for the expert pool: a read-only lookup.

Experts change only through the portal's pool pages and the Excel import, which go through
workflow.services.experts: validated, permission-checked and audited. The admin shows the pool
with each expert's declared relations, and the avoidance requests, and changes nothing.
"""

from django.contrib import admin

from workflow.models import AvoidanceRequest, Expert, ExpertRelation


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ExpertRelationInline(ReadOnlyMixin, admin.TabularInline):
    model = ExpertRelation
    fields = ["kind", "organisation", "person_name", "relationship", "ended_on"]
    readonly_fields = fields
    extra = 0


@admin.register(Expert)
class ExpertAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "employer_name", "title", "years_of_work", "region", "active"]
    list_filter = ["active", "region"]
    search_fields = ["name", "employer_name", "phone"]
    list_select_related = ["employer"]
    inlines = [ExpertRelationInline]


@admin.register(AvoidanceRequest)
class AvoidanceRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["application", "expert", "state", "created_at", "decided_by"]
    list_filter = ["state"]
    list_select_related = ["application", "application__organisation", "expert", "decided_by"]
    search_fields = ["expert__name", "application__title", "application__organisation__name"]
