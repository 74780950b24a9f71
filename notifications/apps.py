from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from notifications.signals import close_sockets_on_logout

        user_logged_out.connect(close_sockets_on_logout, dispatch_uid="notifications-logout")
