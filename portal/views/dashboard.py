"""The live review dashboard: a call's scoring progress for its office (staff and director).

Rendered on the server, so the page works without JavaScript (reload for the latest);
portal/static/portal/dashboard.js keeps it live over `/ws/review/<call>/`
(notifications/dashboard.py), which sends the same snapshot. Only members of an office get in
(403 otherwise); a call of another office is a 404.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from workflow import selectors

from .common import office_required


@office_required
def review_dashboard(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.review_calls(request.user), pk=call_pk)
    return render(
        request,
        "portal/ranking/dashboard.html",
        {
            "call": call,
            "progress": selectors.review_progress(call),
            "ws_path": f"/ws/review/{call.pk}/",
        },
    )
