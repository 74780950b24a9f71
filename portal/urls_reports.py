"""Reports: the office dashboard with charts, and score sheets as PDF (评分表).

Prefixes: office/dashboard/, review/sheets/<pk>/pdf/ (office or the sheet's expert),
office/review/applications/<pk>/sheets.pdf, office/review/<call>/sheets.pdf
"""

from django.urls import path

from portal.views import reports

urlpatterns = [
    path("office/dashboard/", reports.office_dashboard, name="office_dashboard"),
    path("review/sheets/<int:pk>/pdf/", reports.sheet_pdf, name="scoresheet_pdf"),
    path(
        "office/review/applications/<int:pk>/sheets.pdf",
        reports.application_sheets_pdf,
        name="office_application_sheets_pdf",
    ),
    path(
        "office/review/<int:call_pk>/sheets.pdf",
        reports.call_sheets_pdf,
        name="office_call_sheets_pdf",
    ),
]
