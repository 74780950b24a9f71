"""揭榜落地: the office's pages under office/landing/, the organisation's (read by the office too)
under landing/. Agreements and report lists are addressed by their application."""

from django.urls import path

from portal.views import landing

urlpatterns = [
    path("landing/<int:pk>/agreement.pdf", landing.agreement_pdf, name="agreement_pdf"),
    path("office/landing/", landing.office_landing, name="office_landing"),
    path("office/landing/<int:pk>/agreement/", landing.agreement_edit, name="agreement_edit"),
    path("office/landing/<int:pk>/agreement/send/", landing.agreement_send, name="agreement_send"),
    path("landing/<int:pk>/agreement/", landing.agreement_detail, name="agreement_detail"),
    path(
        "landing/<int:pk>/agreement/confirm/",
        landing.agreement_confirm,
        name="agreement_confirm",
    ),
    path("landing/<int:pk>/agreement/return/", landing.agreement_return, name="agreement_return"),
    path("landing/<int:pk>/reports/", landing.report_list, name="report_list"),
    path("landing/reports/<int:pk>/", landing.report_submit, name="report_submit"),
    path("landing/milestones/<int:pk>/done/", landing.milestone_done, name="milestone_done"),
]
