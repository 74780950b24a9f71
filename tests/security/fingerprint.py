"""A cheap fingerprint of everything a refused request must not change: the audit chain's head
and the rows of the main tables (the world is small, so whole rows are compared)."""

from __future__ import annotations

from django.apps import apps

# Left out: sessions (every request saves the session), django-axes' login records, auth.
# Only the project's own apps (and viewflow's processes and tasks) are compared.
APPS = {"workflow", "processes", "viewflow", "jobs", "notifications", "guardian"}


def _models():
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in APPS and not meta.proxy and meta.managed:
            yield model


def fingerprint() -> dict[str, int]:
    """{table: hash of its rows}, plus the audit head (sequence and hash)."""
    from workflow.models import AuditHead

    prints = {
        model._meta.label_lower: hash(repr(list(model._base_manager.order_by("pk").values_list())))
        for model in _models()
    }
    prints["audit head"] = hash(tuple(AuditHead.objects.values_list("sequence", "hash")))
    return prints
