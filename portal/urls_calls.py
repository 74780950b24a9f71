"""Setting up calls (issue 6): a new call from a starting point, its terms, its rubric.

Two segments after the call's id: portal.urls routes office/calls/<pk>/<action>/ to the call's
decisions (POST), which would shadow a one-segment page here.
"""

from django.urls import path

from portal.views import call_setup

urlpatterns: list = [
    path("office/calls/new/", call_setup.call_new, name="office_call_new"),
    path("office/calls/<int:pk>/terms/edit/", call_setup.call_edit, name="office_call_edit"),
    path("office/calls/<int:pk>/rubric/view/", call_setup.rubric_view, name="office_rubric"),
    path("office/calls/<int:pk>/rubric/edit/", call_setup.rubric_edit, name="office_rubric_edit"),
]
