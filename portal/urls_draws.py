from django.urls import path

from portal.views import draws

urlpatterns = [
    path("office/review/<int:call_pk>/draw/", draws.draw_page, name="draw_page"),
    path(
        "office/review/<int:call_pk>/draw/configure/",
        draws.draw_configure,
        name="draw_configure",
    ),
    path(
        "office/review/<int:call_pk>/draw/<int:draw_pk>/perform/",
        draws.draw_perform,
        name="draw_perform",
    ),
    path(
        "office/review/<int:call_pk>/draw/<int:draw_pk>/redraw/",
        draws.draw_redraw,
        name="draw_redraw",
    ),
    path(
        "office/review/<int:call_pk>/draw/<int:draw_pk>/close/",
        draws.draw_close,
        name="draw_close",
    ),
    path(
        "office/review/<int:call_pk>/invitations/<int:pk>/conflict/",
        draws.invitation_conflict_by_office,
        name="draw_invitation_conflict",
    ),
    path("expert/invitations/", draws.invitation_list, name="invitation_list"),
    path("expert/invitations/<int:pk>/accept/", draws.invitation_accept, name="invitation_accept"),
    path(
        "expert/invitations/<int:pk>/decline/",
        draws.invitation_decline,
        name="invitation_decline",
    ),
    path(
        "expert/invitations/<int:pk>/conflict/",
        draws.invitation_conflict,
        name="invitation_conflict",
    ),
]
