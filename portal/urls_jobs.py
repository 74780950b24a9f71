"""Background jobs (jobs/...): progress, the user's list, results; and the buttons that start
the batch certificates and the ranking exports (the expert pool's are in urls_experts)."""

from django.urls import path

from portal.views import jobs

urlpatterns = [
    path("jobs/", jobs.job_list, name="job_list"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/download/", jobs.job_download, name="job_download"),
    path(
        "office/acceptance/certificates/",
        jobs.certificates_start,
        name="award_certificates_start",
    ),
    path(
        "office/review/<int:call_pk>/ranking/export/<slug:variant>/",
        jobs.ranking_export_start,
        name="office_ranking_export_start",
    ),
    path(
        "office/review/<int:call_pk>/register/export/",
        jobs.register_export_start,
        name="office_register_export_start",
    ),
]
