"""Expert pool (office/experts/...) and avoidance requests (applications/<pk>/avoidance/...,
office/avoidance/...)."""

from django.urls import path

from portal.views import experts

urlpatterns = [
    # The pool: office staff
    path("office/experts/", experts.pool_list, name="expert_pool"),
    path("office/experts/new/", experts.pool_new, name="expert_pool_new"),
    path("office/experts/import/", experts.pool_import, name="expert_pool_import"),
    path("office/experts/export/", experts.pool_export, name="expert_pool_export"),
    path("office/experts/<int:pk>/", experts.pool_detail, name="expert_pool_detail"),
    path("office/experts/<int:pk>/edit/", experts.pool_edit, name="expert_pool_edit"),
    path(
        "office/experts/<int:pk>/deactivate/",
        experts.pool_set_active,
        {"active": False},
        name="expert_pool_deactivate",
    ),
    path(
        "office/experts/<int:pk>/activate/",
        experts.pool_set_active,
        {"active": True},
        name="expert_pool_activate",
    ),
    # Avoidance requests: the applicant files, the office decides
    path(
        "applications/<int:pk>/avoidance/",
        experts.avoidance_requests,
        name="avoidance_requests",
    ),
    path("office/avoidance/", experts.office_avoidance_list, name="office_avoidance_list"),
    path(
        "office/avoidance/<int:pk>/accept/",
        experts.office_avoidance_decide,
        {"decision": "accept"},
        name="office_avoidance_accept",
    ),
    path(
        "office/avoidance/<int:pk>/refuse/",
        experts.office_avoidance_decide,
        {"decision": "refuse"},
        name="office_avoidance_refuse",
    ),
]
