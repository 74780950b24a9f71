"""Admin of the tolerance models: read-only. Cases change only through the services, which
audit every decision."""

from django.contrib import admin

from workflow.models import ToleranceCase


@admin.register(ToleranceCase)
class ToleranceCaseAdmin(admin.ModelAdmin):
    list_display = ["application", "state", "decision", "requested_at", "decided_at", "verified_at"]
    list_filter = ["state", "decision"]
    search_fields = ["application__title", "application__organisation__name"]
    list_select_related = ["application"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
