"""我的待办: every open task of the user across all flows, with due dates and overdue marked."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from processes import engine


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    rows = engine.inbox(request.user)
    return render(
        request,
        "portal/tasks/list.html",
        {"rows": rows, "overdue": sum(1 for row in rows if row.overdue)},
    )
