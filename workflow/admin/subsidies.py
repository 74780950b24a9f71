"""Django admin for subsidy rules (补助与奖励规则): configuration entered as data.

The figures are checked by the same rules the arithmetic uses (`SubsidyRule.clean`). Rules are
never deleted here, because a granted amount must keep pointing at the rule it was computed
under; a rule that no longer applies is made inactive.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from workflow.models import SubsidyRule


@admin.register(SubsidyRule)
class SubsidyRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "rate",
        "cap",
        "amount_per_unit",
        "years",
        "annual_cap",
        "exclusivity_group",
        "active",
    ]
    list_filter = ["kind", "active", "exclusivity_group"]
    search_fields = ["name", "code", "source"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "active", "exclusivity_group"]}),
        (_("Share of cost"), {"fields": ["rate", "cap"]}),
        (_("Per person"), {"fields": ["amount_per_unit", "years", "annual_cap"]}),
        (_("Source"), {"fields": ["source"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False
