"""/api/: the OpenAPI schema, its interactive docs (vendored Swagger UI and ReDoc), and v1."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from . import views

app_name = "api"

v1 = [
    path("auth/token/", views.TokenObtain.as_view(), name="token"),
    # Public
    path("calls/", views.PublicCallList.as_view(), name="call_list"),
    path("calls/<int:pk>/", views.PublicCallDetail.as_view(), name="call_detail"),
    path("notices/", views.PublicNoticeList.as_view(), name="notice_list"),
    path("awards/", views.AwardList.as_view(), name="award_list"),
    # Applicant
    path("applications/", views.ApplicationListCreate.as_view(), name="application_list"),
    path("applications/<int:pk>/", views.ApplicationDetail.as_view(), name="application_detail"),
    path(
        "applications/<int:pk>/submit/",
        views.ApplicationSubmit.as_view(),
        name="application_submit",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        views.ApplicationWithdraw.as_view(),
        name="application_withdraw",
    ),
    path(
        "applications/<int:pk>/attachments/",
        views.AttachmentListUpload.as_view(),
        name="attachment_list",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/",
        views.AttachmentDetail.as_view(),
        name="attachment_detail",
    ),
    # Expert
    path("assignments/", views.AssignmentList.as_view(), name="assignment_list"),
    path("assignments/<int:pk>/", views.AssignmentDetail.as_view(), name="assignment_detail"),
    path("assignments/<int:pk>/sheet/", views.ScoreSheet.as_view(), name="score_sheet"),
    path(
        "assignments/<int:pk>/sheet/submit/",
        views.ScoreSheetSubmit.as_view(),
        name="score_sheet_submit",
    ),
    # Office
    path("office/calls/", views.OfficeCallList.as_view(), name="office_call_list"),
    path("office/calls/<int:pk>/publish/", views.OfficeCallPublish.as_view(), name="call_publish"),
    path("office/calls/<int:pk>/close/", views.OfficeCallClose.as_view(), name="call_close"),
    path(
        "office/calls/<int:pk>/start-review/",
        views.OfficeCallStartReview.as_view(),
        name="call_start_review",
    ),
    path(
        "office/applications/",
        views.OfficeApplicationList.as_view(),
        name="office_application_list",
    ),
    path(
        "office/applications/<int:pk>/accept/",
        views.OfficeAccept.as_view(),
        name="application_accept",
    ),
    path(
        "office/applications/<int:pk>/return/",
        views.OfficeReturn.as_view(),
        name="application_return",
    ),
    path(
        "office/applications/<int:pk>/reject/",
        views.OfficeReject.as_view(),
        name="application_reject",
    ),
    # Everyone logged in
    path("tasks/", views.MyTasks.as_view(), name="my_tasks"),
    # Anything else ending in a slash (an id that is not a number, an unknown endpoint; newlines
    # included): a JSON 404. Last, so it matches only what nothing above does; without the
    # slash, Django's APPEND_SLASH still redirects to the right endpoint.
    re_path(r"^[\s\S]*/$", views.not_found, name="not_found"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs run under the portal's CSP: Swagger UI's start-up script is served as a file (the
    # split view), and both viewers set inline styles, which only these two pages allow.
    path(
        "docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    path(
        "redoc/",
        # ReDoc also runs its search index in a worker made from a blob: URL.
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
    path("v1/", include(v1)),
]
