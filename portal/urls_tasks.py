"""URLs of the task inbox (我的待办) and the approval moves on tasks."""

from django.urls import path

from portal.views import tasks

urlpatterns = [
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/<slug:move>/", tasks.task_move, name="task_move"),
    path("tasks/signatures/<int:pk>/", tasks.sign_detail, name="sign_detail"),
    path("tasks/copied/", tasks.copied_list, name="copied_list"),
    path("tasks/delegations/", tasks.delegation_list, name="delegation_list"),
    path(
        "tasks/delegations/<int:pk>/revoke/",
        tasks.delegation_revoke,
        name="delegation_revoke",
    ),
]
