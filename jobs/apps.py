from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        # The kinds register themselves on import: the worker and the pages see the same set.
        from jobs import kinds  # noqa: F401
