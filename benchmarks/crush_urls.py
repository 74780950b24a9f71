"""The project's URLs plus the bare baseline endpoints of benchmarks/crush_baseline.py, served
only by benchmarks/crush.py's server (benchmarks.crush_settings)."""

from django.urls import include, path

from benchmarks import crush_baseline

urlpatterns = [
    path("bare/applications/<int:pk>/edit/", crush_baseline.edit, name="bare_edit"),
    path("bare/applications/<int:pk>/upload/", crush_baseline.upload, name="bare_upload"),
    path("bare/applications/<int:pk>/confirm/", crush_baseline.confirm, name="bare_confirm"),
    path("bare/applications/<int:pk>/submit/", crush_baseline.submit, name="bare_submit"),
    path("", include("config.urls")),
]
