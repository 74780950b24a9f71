"""The applicant's multi-step application form, its autosave, the confirmation before
submitting, and the inline preview of attachments (issue 6)."""

from django.urls import path

from portal.views import applicant

urlpatterns = [
    path(
        "applications/<int:pk>/steps/<slug:step>/",
        applicant.application_step,
        name="application_step",
    ),
    path(
        "applications/<int:pk>/steps/<slug:step>/autosave/",
        applicant.application_autosave,
        name="application_autosave",
    ),
    path(
        "applications/<int:pk>/confirm/",
        applicant.application_confirm,
        name="application_confirm",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/preview/",
        applicant.attachment_preview,
        name="attachment_preview",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/inline/",
        applicant.attachment_inline,
        name="attachment_inline",
    ),
]
