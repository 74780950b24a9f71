from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Selection workflow")

    def ready(self) -> None:
        from workflow.roles import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)
