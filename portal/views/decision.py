"""主任审批: the office director approves or rejects each shortlisted application, then decides
the call. The services refuse while the countersign is not agreed or an objection is open."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflow import access
from workflow.choices import ApplicationState, CallState, Role
from workflow.errors import DomainError
from workflow.models import Application, Call
from workflow.rules.publicity import require_notice_over
from workflow.services.applications import application_approve, application_not_approve
from workflow.services.base import MAX_REASON_LENGTH
from workflow.services.calls import call_decide
from workflow.services.countersign import countersign_complete, latest_round

from .common import report


class ApprovalForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("approve", gettext_lazy("Approve")),
            ("not_approve", gettext_lazy("Do not approve")),
        ],
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(
        label=gettext_lazy("Opinion"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "data-phrases-for": "1"}),
        help_text=gettext_lazy("Required when not approving."),
    )


def notice_over(call: Call) -> bool:
    try:
        require_notice_over(call)
    except DomainError:
        return False
    return True


def _director_call(request: HttpRequest, call_pk: int) -> Call:
    call = get_object_or_404(Call.objects.select_related("office"), pk=call_pk)
    try:
        access.require_office(request.user, call, Role.OFFICE_DIRECTOR)
    except DomainError as exc:
        raise PermissionDenied from exc
    return call


@login_required
def decision(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _director_call(request, call_pk)
    applications = (
        Application.objects.filter(
            call=call,
            state__in=[
                ApplicationState.SHORTLISTED,
                ApplicationState.APPROVED,
                ApplicationState.NOT_APPROVED,
            ],
        )
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    return render(
        request,
        "portal/decision/call.html",
        {
            "call": call,
            "rows": [(a, ApprovalForm(prefix=f"a{a.pk}")) for a in applications],
            "countersign": latest_round(call),
            # Offer the decisions only when the services would take them (公示 over, 会签 agreed).
            "can_decide": call.state == CallState.PUBLICITY
            and countersign_complete(call)
            and notice_over(call),
        },
    )


@login_required
@require_POST
def decide_application(request: HttpRequest, call_pk: int, pk: int) -> HttpResponse:
    call = _director_call(request, call_pk)
    application = get_object_or_404(Application, pk=pk, call=call)
    form = ApprovalForm(request.POST, prefix=f"a{application.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose approve or do not approve."))
        return redirect("portal:director_decision", call_pk=call.pk)
    data: dict[str, Any] = form.cleaned_data
    try:
        if data["decision"] == "approve":
            application_approve(application=application, by=request.user, reason=data["opinion"])
        else:
            application_not_approve(
                application=application, by=request.user, reason=data["opinion"]
            )
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The decision on the application is recorded."))
    return redirect("portal:director_decision", call_pk=call.pk)


@login_required
@require_POST
def decide_call(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _director_call(request, call_pk)
    try:
        call_decide(call=call, by=request.user)
    except DomainError as exc:
        report(request, exc)
        return redirect("portal:director_decision", call_pk=call.pk)
    messages.success(request, _("The call is decided."))
    return redirect("portal:task_list")
