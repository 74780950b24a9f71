from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal.security import touch_session_at_login

        user_logged_in.connect(touch_session_at_login, dispatch_uid="portal.touch_session")
