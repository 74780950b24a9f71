"""Office pages: its calls (榜单), the formal-check queue (形式审查) and the decisions on both.

Only members of an office (staff or director) get in; others get 403. Objects are fetched
through the office selectors, so another office's call or application is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflow import access, selectors
from workflow.choices import ApplicationState, CallState, FormalCheckOutcome
from workflow.errors import Conflict, DomainError, NotPermitted
from workflow.models import Application, Call
from workflow.services.applications import (
    application_accept,
    application_reject,
    application_return,
)
from workflow.services.calls import call_cancel, call_close, call_publish, call_start_review
from workflow.services.publicity import publicity_open

from ..forms import CancelCallForm, FormalCheckForm, QueueFilterForm
from .common import add_form_errors, office_required, paginate, report


class CallAction:
    def __init__(self, service: Callable[..., Call], label: Any, done: Any, states: tuple) -> None:
        self.service, self.label, self.done, self.states = service, label, done, states


# The call-level decisions offered here, and the states in which the page offers each one; the
# services decide whether it is allowed. Cancelling needs a reason and has its own form.
CALL_ACTIONS: dict[str, CallAction] = {
    "publish": CallAction(
        call_publish,
        gettext_lazy("Publish"),
        gettext_lazy("The call is published."),
        (CallState.DRAFT,),
    ),
    "close": CallAction(
        call_close,
        gettext_lazy("Close applications"),
        gettext_lazy("The call is closed for applications."),
        (CallState.PUBLISHED,),
    ),
    "start_review": CallAction(
        call_start_review,
        gettext_lazy("Start expert review"),
        gettext_lazy("Expert review has started."),
        (CallState.CLOSED,),
    ),
    "start_publicity": CallAction(
        lambda call, by: publicity_open(call=call, by=by).call,
        gettext_lazy("Start the public notice"),
        gettext_lazy("The proposed winners are in public notice."),
        (CallState.UNDER_REVIEW,),
    ),
}
CANCELLABLE = (CallState.DRAFT, CallState.PUBLISHED)

FORMAL_CHECKS = {
    FormalCheckOutcome.PASSED: (application_accept, gettext_lazy("The application passed.")),
    FormalCheckOutcome.RETURNED: (
        application_return,
        gettext_lazy("The application is returned for correction."),
    ),
    FormalCheckOutcome.REJECTED: (application_reject, gettext_lazy("The application is rejected.")),
}


@office_required
def call_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.office_calls(request.user))
    return render(
        request, "portal/office/call_list.html", {"page": page, "calls": page.object_list}
    )


def _call_page(
    request: HttpRequest, call: Call, *, cancel_form: CancelCallForm | None = None
) -> HttpResponse:
    actions = [(name, a.label) for name, a in CALL_ACTIONS.items() if call.state in a.states]
    context = {
        "call": call,
        "actions": actions,
        "can_cancel": call.state in CANCELLABLE,
        "cancel_form": cancel_form or CancelCallForm(),
        "is_public": call.state in selectors.PUBLIC_CALL_STATES,
        "applications": selectors.office_queue(request.user, state=None, call=call),
    }
    return render(request, "portal/office/call_detail.html", context)


@office_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.office_calls(request.user), pk=pk)
    return _call_page(request, call)


@office_required
@require_POST
def call_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    call = get_object_or_404(selectors.office_calls(request.user), pk=pk)
    try:
        if action == "cancel":
            form = CancelCallForm(request.POST)
            if not form.is_valid():
                return _call_page(request, call, cancel_form=form)
            call_cancel(call=call, by=request.user, reason=form.cleaned_data["reason"])
            done = _("The call is cancelled.")
        elif action in CALL_ACTIONS:
            CALL_ACTIONS[action].service(call=call, by=request.user)
            done = str(CALL_ACTIONS[action].done)
        else:
            raise Http404
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, done)
    return redirect("portal:office_call_detail", pk=call.pk)


@office_required
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None, calls=access.calls_managed_by(request.user))
    state, call = ApplicationState.SUBMITTED, None
    if form.is_bound:
        if form.is_valid():
            state, call = form.state_filter(), form.cleaned_data.get("call")
    else:
        form.initial = {"state": ApplicationState.SUBMITTED}
    page = paginate(request, selectors.office_queue(request.user, state=state, call=call))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/office/queue.html",
        {"form": form, "page": page, "applications": page.object_list, "query": query.urlencode()},
    )


def _application_page(
    request: HttpRequest, application: Application, *, check_form: FormalCheckForm | None = None
) -> HttpResponse:
    context = {
        "application": application,
        "call": application.call,
        "latest_check": selectors.latest_formal_check(application),
        "attachments": application.attachments.all(),
        "history": selectors.audit_history(application),
        "can_check": application.state == ApplicationState.SUBMITTED,
        "check_form": check_form or FormalCheckForm(),
        "states": ApplicationState,
        "outcomes": FormalCheckOutcome,
    }
    return render(request, "portal/office/application_detail.html", context)


@office_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.office_application_detail(request.user), pk=pk)
    return _application_page(request, application)


@office_required
@require_POST
def formal_check(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.office_application_detail(request.user), pk=pk)
    form = FormalCheckForm(request.POST)
    if form.is_valid():
        service, done = FORMAL_CHECKS[form.cleaned_data["outcome"]]
        try:
            service(application=application, by=request.user, reason=form.cleaned_data["reason"])
        except (Conflict, NotPermitted) as exc:
            report(request, exc)
            return redirect("portal:office_application_detail", pk=application.pk)
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, str(done))
            return redirect("portal:office_application_detail", pk=application.pk)
    return _application_page(request, application, check_form=form)
