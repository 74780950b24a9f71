"""URLs of the fault-tolerance (容错纠错) pages, all under tolerance/."""

from django.urls import path

from portal.views import tolerance

urlpatterns = [
    path("tolerance/", tolerance.case_list, name="tolerance_list"),
    path("tolerance/new/<int:application_pk>/", tolerance.request_case, name="tolerance_request"),
    path("tolerance/<int:pk>/", tolerance.detail, name="tolerance_detail"),
    path("tolerance/<int:pk>/decide/", tolerance.decide, name="tolerance_decide"),
    path("tolerance/<int:pk>/correction/", tolerance.correction, name="tolerance_correction"),
    path("tolerance/<int:pk>/verify/", tolerance.verify, name="tolerance_verify"),
]
