"""URLs of the performance pages: performance/... for readers, office/performance/... for the
office."""

from django.urls import path

from portal.views import performance

urlpatterns = [
    path("performance/results/", performance.results, name="performance_results"),
    path("performance/<int:pk>/", performance.detail, name="performance_detail"),
    path("performance/<int:pk>/submit/", performance.submit, name="performance_submit"),
    path("office/performance/", performance.office_list, name="office_performance_list"),
    path("office/performance/open/", performance.open_year, name="performance_open"),
    path(
        "office/performance/<int:pk>/evaluate/",
        performance.evaluate,
        name="performance_evaluate",
    ),
    path("office/performance/<int:pk>/publish/", performance.publish, name="performance_publish"),
    path("office/performance/<int:pk>/verify/", performance.verify, name="performance_verify"),
    path(
        "office/performance/award/<int:award_pk>/revoke/",
        performance.revoke,
        name="plaque_revoke",
    ),
]
