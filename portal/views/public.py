"""Pages anyone may see: the home page and the published calls (榜单)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from notifications.models import Notification
from processes import engine
from workflow import access, selectors
from workflow.choices import ApplicationState
from workflow.selectors import OFFICE_ROLES

from .common import paginate

HOME_LIST_SIZE = 10
# The workbench on the home page shows the first few; the full lists are one click away.
WORKBENCH_SIZE = 5


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {"open_calls": selectors.open_calls().order_by("closes_at", "id")[:HOME_LIST_SIZE]}
    if user.is_authenticated:
        context.update(_workbench(user))
    if access.organisation_ids(user):
        context["my_applications"] = selectors.applicant_applications(user)[:5]
    if access.office_ids(user, OFFICE_ROLES):
        context["waiting_count"] = selectors.office_queue(
            user, state=ApplicationState.SUBMITTED
        ).count()
    return render(request, "portal/home.html", context)


def _workbench(user) -> dict:
    """我的工作台: the signed-in user's open tasks and unread notifications, newest first."""
    rows = engine.inbox(user)
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return {
        "workbench": True,
        "task_rows": rows[:WORKBENCH_SIZE],
        "task_count": len(rows),
        "overdue_count": sum(1 for row in rows if row.overdue),
        "unread_notifications": list(unread[:WORKBENCH_SIZE]),
        "unread_count": unread.count(),
    }


def call_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.public_calls())
    return render(
        request, "portal/public/call_list.html", {"page": page, "calls": page.object_list}
    )


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.public_calls(), pk=pk)
    organisation_ids = access.organisation_ids(request.user)
    context = {
        "call": call,
        "is_open": selectors.call_is_open(call),
        "is_applicant": bool(organisation_ids),
        "my_application": selectors.live_application_for(call, organisation_ids),
    }
    return render(request, "portal/public/call_detail.html", context)
