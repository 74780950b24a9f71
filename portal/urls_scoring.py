"""Expert review, scoring side: the expert's score sheets, the office's sheets, ranking, values.

Prefixes: expert/assignments/..., office/review/<call>/ranking..., office/review/<call>/values...,
office/review/<call>/dashboard/, office/review/sheets/...
"""

from django.urls import path

from portal.views import dashboard, ranking, scoring

urlpatterns = [
    # Expert
    path("expert/assignments/", scoring.assignment_list, name="expert_assignment_list"),
    path("expert/assignments/<int:pk>/", scoring.sheet, name="expert_sheet"),
    path(
        "expert/assignments/<int:pk>/explain/",
        scoring.sheet_explain,
        name="expert_sheet_explain",
    ),
    # Office: sheets
    path("office/review/sheets/<int:pk>/", scoring.office_sheet, name="office_sheet"),
    path(
        "office/review/sheets/<int:pk>/reopen/",
        scoring.office_sheet_reopen,
        name="office_sheet_reopen",
    ),
    # Office: ranking, exports, rubric
    path("office/review/<int:call_pk>/ranking/", ranking.ranking, name="office_ranking"),
    path(
        "office/review/<int:call_pk>/ranking/confirm/",
        ranking.ranking_confirm,
        name="office_ranking_confirm",
    ),
    path(
        "office/review/<int:call_pk>/ranking/public.xlsx",
        ranking.export_public,
        name="office_ranking_export_public",
    ),
    path(
        "office/review/<int:call_pk>/register.xlsx",
        ranking.export_register,
        name="office_register_export",
    ),
    path(
        "office/review/<int:call_pk>/ranking/sheets.xlsx",
        ranking.export_sheets,
        name="office_ranking_export_sheets",
    ),
    path(
        "office/review/<int:call_pk>/ranking/rubric/",
        ranking.rubric_settings,
        name="office_ranking_settings",
    ),
    # Office: the live review dashboard
    path(
        "office/review/<int:call_pk>/dashboard/",
        dashboard.review_dashboard,
        name="office_review_dashboard",
    ),
    # Office: verified values
    path("office/review/<int:call_pk>/values/", ranking.values_overview, name="office_values"),
    path(
        "office/review/<int:call_pk>/values/<int:application_pk>/",
        ranking.values_verify_view,
        name="office_values_verify",
    ),
]
