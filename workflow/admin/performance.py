"""Admin of the performance models: read-only. Reviews change only through the services, which
audit every decision."""

from django.contrib import admin

from workflow.models import PerformanceReview


@admin.register(PerformanceReview)
class PerformanceReviewAdmin(admin.ModelAdmin):
    list_display = ["award", "year", "state", "grade", "evaluator", "published_at", "rectified_at"]
    list_filter = ["state", "grade", "year"]
    search_fields = ["award__number", "award__application__organisation__name"]
    list_select_related = ["award"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
