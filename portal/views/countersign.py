"""会签: the office opens a countersign round; each member department's approver signs it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from workflow import access
from workflow.choices import ApplicationState, CallState, CountersignMode, Role
from workflow.errors import DomainError, Invalid
from workflow.models import Application, Membership
from workflow.models.countersign import (
    Countersign,
    CountersignRound,
    CountersignRoundState,
    CountersignState,
)
from workflow.selectors.opinions import opinion_history
from workflow.services.base import MAX_REASON_LENGTH
from workflow.services.countersign import (
    countersign_mode_changeable,
    countersign_open,
    countersign_set_mode,
    countersign_sign,
)

from .common import add_form_errors, office_required, paginate, report


class CountersignForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("agree", _("Agree")), ("disagree", _("Disagree"))],
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(
        label=_("Opinion"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Written both to agree and to disagree."),
    )


class CountersignModeForm(forms.Form):
    countersign_mode = forms.ChoiceField(
        label=_("Countersign mode"),
        choices=CountersignMode.choices,
        widget=forms.RadioSelect,
    )


def _approver_department_ids(user: Any) -> list[int]:
    return list(
        Membership.objects.filter(
            user=user, role=Role.DEPARTMENT_APPROVER, department__isnull=False
        ).values_list("department_id", flat=True)
    )


def approver_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Department approvers only; anyone else logged in gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        department_ids = _approver_department_ids(request.user)
        if not department_ids:
            raise PermissionDenied
        request.approver_department_ids = department_ids
        return view(request, *args, **kwargs)

    return wrapper


def _countersigns_of(request: HttpRequest) -> QuerySet[Countersign]:
    return Countersign.objects.filter(
        department_id__in=request.approver_department_ids
    ).select_related("department", "round__call__office")


def _shortlisted(call: Any) -> QuerySet[Application]:
    return (
        Application.objects.filter(call=call, state=ApplicationState.SHORTLISTED)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )


@approver_required
def inbox(request: HttpRequest) -> HttpResponse:
    pending = (
        _countersigns_of(request)
        .filter(state=CountersignState.PENDING, round__state=CountersignRoundState.OPEN)
        .order_by("round__opened_at", "pk")
    )
    page = paginate(request, pending)
    return render(
        request,
        "portal/countersign/inbox.html",
        {"page": page, "countersigns": page.object_list},
    )


@approver_required
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    countersign = get_object_or_404(_countersigns_of(request), pk=pk)
    countersign_round = countersign.round
    can_sign = (
        countersign.state == CountersignState.PENDING
        and countersign_round.state == CountersignRoundState.OPEN
    )
    form = CountersignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            countersign_sign(
                countersign=countersign,
                by=request.user,
                agree=data["decision"] == "agree",
                opinion=data["opinion"],
            )
        except Invalid as exc:
            add_form_errors(form, exc, "opinion")
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:countersign_sign", pk=countersign.pk)
        else:
            messages.success(request, _("The department's opinion is recorded."))
            return redirect("portal:countersign_inbox")
    context = {
        "countersign": countersign,
        "call": countersign_round.call,
        "applications": _shortlisted(countersign_round.call),
        "form": form,
        "can_sign": can_sign,
        "opinions": opinion_history(countersign_round.call),
    }
    return render(request, "portal/countersign/sign.html", context)


@office_required
def office_rounds(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = get_object_or_404(
        access.calls_managed_by(request.user).select_related("office"), pk=call_pk
    )
    return _rounds_page(request, call)


def _rounds_page(
    request: HttpRequest, call: Any, mode_form: CountersignModeForm | None = None
) -> HttpResponse:
    rounds = (
        CountersignRound.objects.filter(call=call)
        .order_by("-number")
        .prefetch_related(
            Prefetch(
                "countersigns",
                queryset=Countersign.objects.select_related("department").order_by("department_id"),
            )
        )
    )
    rounds = list(rounds)
    latest = rounds[0] if rounds else None
    can_open = call.state == CallState.PUBLICITY and (
        latest is None or latest.state == CountersignRoundState.RETURNED
    )
    context = {
        "call": call,
        "rounds": rounds,
        "latest": latest,
        "can_open": can_open,
        "applications": _shortlisted(call),
        "can_change_mode": countersign_mode_changeable(call, latest)
        and call.office_id in access.office_ids(request.user, (Role.OFFICE_STAFF,)),
        "mode_form": mode_form
        or CountersignModeForm(initial={"countersign_mode": call.countersign_mode}),
        "opinions": opinion_history(call),
    }
    return render(request, "portal/countersign/office_rounds.html", context)


@office_required
@require_POST
def office_open(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = get_object_or_404(access.calls_managed_by(request.user), pk=call_pk)
    try:
        countersign_round = countersign_open(call=call, by=request.user)
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(
            request,
            _("Countersign round %(number)s is open.") % {"number": countersign_round.number},
        )
    return redirect("portal:office_countersign", call_pk=call.pk)


@office_required
@require_POST
def office_mode(request: HttpRequest, call_pk: int) -> HttpResponse:
    """The office chooses 会签 or 或签 for the next round (while no round is open)."""
    call = get_object_or_404(
        access.calls_managed_by(request.user).select_related("office"), pk=call_pk
    )
    form = CountersignModeForm(request.POST)
    if not form.is_valid():
        return _rounds_page(request, call, mode_form=form)
    try:
        call = countersign_set_mode(
            call=call, by=request.user, mode=form.cleaned_data["countersign_mode"]
        )
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(
            request,
            _("Countersign mode: %(mode)s.") % {"mode": call.get_countersign_mode_display()},
        )
    return redirect("portal:office_countersign", call_pk=call.pk)
