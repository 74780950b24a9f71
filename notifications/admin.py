"""Read-only views of the outbox for support staff; nothing here sends a message."""

from django.contrib import admin

from notifications.models import Notification, NotificationPreference, ReminderLog


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "recipient",
        "kind",
        "created_at",
        "read_at",
        "delivered_at",
        "email_status",
    )
    list_filter = ("kind", "email_status")
    search_fields = ("recipient__username", "text")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "delivery", "language")
    list_select_related = ("user",)
    search_fields = ("user__username",)


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ("key", "sent_at")
    search_fields = ("key",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
