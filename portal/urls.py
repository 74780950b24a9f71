from django.urls import include, path

from portal.views import applicant, office, public

app_name = "portal"
urlpatterns = [
    # Public
    path("", public.home, name="home"),
    path("calls/", public.call_list, name="call_list"),
    path("calls/<int:pk>/", public.call_detail, name="call_detail"),
    # Applicant
    path(
        "calls/<int:call_pk>/apply/", applicant.application_create_view, name="application_create"
    ),
    path("applications/", applicant.application_list, name="application_list"),
    path("applications/<int:pk>/", applicant.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", applicant.application_edit, name="application_edit"),
    path(
        "applications/<int:pk>/submit/",
        applicant.application_submit_view,
        name="application_submit",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        applicant.application_withdraw_view,
        name="application_withdraw",
    ),
    path(
        "applications/<int:pk>/attachments/",
        applicant.attachment_upload,
        name="attachment_add",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/",
        applicant.attachment_download,
        name="attachment_download",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/remove/",
        applicant.attachment_delete,
        name="attachment_remove",
    ),
    # Office
    path("office/calls/", office.call_list, name="office_call_list"),
    path("office/calls/<int:pk>/", office.call_detail, name="office_call_detail"),
    path("office/calls/<int:pk>/<slug:action>/", office.call_action, name="office_call_action"),
    path("office/queue/", office.queue, name="office_queue"),
    path(
        "office/applications/<int:pk>/",
        office.application_detail,
        name="office_application_detail",
    ),
    path(
        "office/applications/<int:pk>/check/",
        office.formal_check,
        name="office_formal_check",
    ),
    # Expert review (issue 3): one URL module per area, each under its own prefix.
    path("", include("portal.urls_experts")),  # office/experts/..., avoidance requests
    path("", include("portal.urls_draws")),  # office/review/<call>/draw..., expert/invitations/
    path("", include("portal.urls_scoring")),  # expert/assignments/..., office/review/ranking
    path("", include("portal.urls_publicity")),  # publicity/..., office/objections/...
    path("", include("portal.urls_countersign")),  # countersign/..., office/countersign/...
    # Processes (issue 5): after approval.
    path("", include("portal.urls_tasks")),  # tasks/ (我的待办) and the moves on them
    path("", include("portal.urls_decision")),  # director/calls/... (主任审批)
    path("", include("portal.urls_landing")),  # landing/..., office/landing/...
    path("", include("portal.urls_award")),  # acceptance/..., awards/, office/acceptance/...
    path("", include("portal.urls_performance")),  # performance/..., office/performance/...
    path("", include("portal.urls_tolerance")),  # tolerance/..., office/tolerance/...
    path("", include("portal.urls_approval")),  # my/phrases/, office/opinions/, countersign mode
    path("", include("portal.urls_audit")),  # audit/... (supervisors: trail, evidence bundles)
    # Portal completion (issue 6).
    path("", include("portal.urls_applicant")),  # multi-step form, autosave, preview, confirm
    path("", include("portal.urls_calls")),  # office/calls/new/..., rubric editor
    path("", include("portal.urls_reports")),  # office/dashboard/ charts, score-sheet PDFs
    path("", include("portal.urls_jobs")),  # jobs/<id>/: progress of long operations
]
