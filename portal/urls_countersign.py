"""会签: the departments' inbox under countersign/, the office's pages under office/countersign/."""

from django.urls import path

from portal.views import countersign

urlpatterns = [
    path("countersign/", countersign.inbox, name="countersign_inbox"),
    path("countersign/<int:pk>/", countersign.sign, name="countersign_sign"),
    path(
        "office/countersign/<int:call_pk>/",
        countersign.office_rounds,
        name="office_countersign",
    ),
    path(
        "office/countersign/<int:call_pk>/open/",
        countersign.office_open,
        name="office_countersign_open",
    ),
]
