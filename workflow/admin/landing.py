"""Admin of the landing models: read-only. Agreements, milestones and reports change only
through the services (workflow.services.landing), which audit every decision; the admin is for
looking things up."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from workflow.models import Agreement, Milestone, ProgressReport


class ReadOnlyAdmin(admin.ModelAdmin):
    """Everything shown, nothing added, changed or deleted."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["title", "due_on", "done_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["application", "state", "term_years", "starts_on", "budget_total"]
    list_filter = ["state", "term_years"]
    search_fields = ["application__title", "application__organisation__name"]
    list_select_related = ["application__organisation"]
    inlines = [MilestoneInline]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["title", "agreement", "due_on", "done_on"]
    list_filter = ["done_on"]
    search_fields = ["title", "agreement__application__title"]
    list_select_related = ["agreement__application__organisation"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["agreement", "kind", "period", "due_at", "state", "escalated_at"]
    list_filter = ["state", "kind"]
    search_fields = ["period", "agreement__application__title"]
    list_select_related = ["agreement__application__organisation"]
    date_hierarchy = "due_at"
