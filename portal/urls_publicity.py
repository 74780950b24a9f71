"""公示 and 异议 (issue 5): public pages under publicity/, the office's under office/objections/."""

from django.urls import path

from portal.views import publicity

urlpatterns = [
    path("publicity/", publicity.publicity_list, name="publicity_list"),
    path(
        "publicity/applications/<int:pk>/object/",
        publicity.objection_create,
        name="objection_create",
    ),
    path("office/objections/", publicity.office_objection_list, name="office_objection_list"),
    path(
        "office/objections/<int:pk>/answer/",
        publicity.office_objection_answer,
        name="office_objection_answer",
    ),
]
