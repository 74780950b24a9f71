"""URLs of the director's approval (主任审批)."""

from django.urls import path

from portal.views import decision

urlpatterns = [
    path("director/calls/<int:call_pk>/", decision.decision, name="director_decision"),
    path(
        "director/calls/<int:call_pk>/applications/<int:pk>/",
        decision.decide_application,
        name="director_decide_application",
    ),
    path("director/calls/<int:call_pk>/decide/", decision.decide_call, name="director_decide_call"),
]
