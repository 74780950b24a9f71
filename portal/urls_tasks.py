"""URLs of the task inbox (我的待办)."""

from django.urls import path

from portal.views import tasks

urlpatterns = [
    path("tasks/", tasks.task_list, name="task_list"),
]
