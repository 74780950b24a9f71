"""专家抽取 (office) and 评审邀请 (expert): the draw screen and the expert's invitations.

The office sees the draw's commitment, revealed seed, panel, alternates and every recorded
exclusion with its rule; it can configure, perform, redraw with a reason, close the panel and
withdraw an expert for a conflict. Experts see only their own invitations (404 otherwise).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflow import access
from workflow.choices import DrawState, InvitationState
from workflow.errors import DomainError
from workflow.models import Application, Call, Draw, Expert, Invitation
from workflow.selectors import review as selectors
from workflow.services import review as svc

from ..forms_draws import DECLARATION, AcceptForm, DrawConfigureForm, ReasonForm
from .common import office_required, report


def _call(request: HttpRequest, call_pk: int) -> Call:
    return get_object_or_404(access.calls_managed_by(request.user), pk=call_pk)


def _draw(request: HttpRequest, call: Call, draw_pk: int) -> Draw:
    return get_object_or_404(call.draws, pk=draw_pk)


def _exclusion_rows(draw: Draw) -> list[dict]:
    recorded = draw.inputs.get("exclusions", {}) if draw.inputs else {}
    experts = Expert.objects.in_bulk({int(e) for by in recorded.values() for e in by})
    applications = Application.objects.in_bulk([int(a) for a in recorded])
    return [
        {
            "application": applications.get(int(app)),
            "expert": experts.get(int(expert_id)),
            "rule": rule,
            "fact": fact,
        }
        for app, by_expert in recorded.items()
        for expert_id, hits in by_expert.items()
        for rule, _code, fact in hits
    ]


@office_required
def draw_page(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    draw = selectors.live_draw(call)
    context = {
        "call": call,
        "draw": draw,
        "history": call.draws.filter(state=DrawState.SUPERSEDED).order_by("-created_at"),
        "configure_form": DrawConfigureForm(),
        "reason_form": ReasonForm(),
    }
    if draw is not None:
        context["invitations"] = selectors.draw_invitations(draw)
        context["exclusions"] = _exclusion_rows(draw)
    return render(request, "portal/review/draw.html", context)


@office_required
@require_POST
def draw_configure(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    form = DrawConfigureForm(request.POST)
    if form.is_valid():
        try:
            svc.draw_configure(call=call, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            report(request, exc)
        else:
            messages.success(request, _("The draw is configured. Perform it when ready."))
            return redirect("portal:draw_page", call_pk=call.pk)
    return render(
        request,
        "portal/review/draw.html",
        {"call": call, "draw": None, "configure_form": form, "reason_form": ReasonForm()},
    )


def _decide(request: HttpRequest, call: Call, action, done: str) -> HttpResponse:
    """Run one office decision on the draw page and come back to it with the outcome."""
    try:
        action()
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, done)
    return redirect("portal:draw_page", call_pk=call.pk)


def _with_reason(request: HttpRequest, call: Call, action, done: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason (at most 2000 characters)."))
        return redirect("portal:draw_page", call_pk=call.pk)
    return _decide(request, call, lambda: action(form.cleaned_data["reason"]), done)


@office_required
@require_POST
def draw_perform(request: HttpRequest, call_pk: int, draw_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    draw = _draw(request, call, draw_pk)
    return _decide(
        request,
        call,
        lambda: svc.draw_perform(draw=draw, by=request.user),
        _("The experts are drawn and invited."),
    )


@office_required
@require_POST
def draw_redraw(request: HttpRequest, call_pk: int, draw_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    draw = _draw(request, call, draw_pk)
    return _with_reason(
        request,
        call,
        lambda reason: svc.draw_redraw(draw=draw, by=request.user, reason=reason),
        _("The draw is set aside and the experts are drawn again."),
    )


@office_required
@require_POST
def draw_close(request: HttpRequest, call_pk: int, draw_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    draw = _draw(request, call, draw_pk)
    return _decide(
        request,
        call,
        lambda: svc.draw_close(draw=draw, by=request.user),
        _("The review panel is closed."),
    )


@office_required
@require_POST
def invitation_conflict_by_office(request: HttpRequest, call_pk: int, pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    invitation = get_object_or_404(Invitation, pk=pk, draw__call=call)
    return _with_reason(
        request,
        call,
        lambda reason: svc.invitation_withdraw_for_conflict(
            invitation=invitation, by=request.user, reason=reason
        ),
        _("The expert is withdrawn and the next alternate invited."),
    )


# Experts


def _expert_required(request: HttpRequest) -> None:
    if not Expert.objects.filter(user=request.user).exists():
        raise PermissionDenied


def _invitation(request: HttpRequest, pk: int) -> Invitation:
    return get_object_or_404(selectors.expert_invitations(request.user), pk=pk)


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    _expert_required(request)
    invitations = selectors.expert_invitations(request.user)
    return render(
        request,
        "portal/review/invitations.html",
        {
            "invitations": invitations,
            "accept_form": AcceptForm(),
            "reason_form": ReasonForm(),
            "INVITED": InvitationState.INVITED,
            "ACCEPTED": InvitationState.ACCEPTED,
        },
    )


def _answer(request: HttpRequest, pk: int, answer) -> HttpResponse:
    _expert_required(request)
    invitation = _invitation(request, pk)
    try:
        answer(invitation)
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("Your answer is recorded."))
    return redirect("portal:invitation_list")


@login_required
@require_POST
def invitation_accept(request: HttpRequest, pk: int) -> HttpResponse:
    form = AcceptForm(request.POST)
    if not form.is_valid():
        _expert_required(request)
        _invitation(request, pk)
        messages.error(request, _("Tick the no-conflict declaration to accept."))
        return redirect("portal:invitation_list")
    return _answer(
        request,
        pk,
        lambda inv: svc.invitation_accept(
            invitation=inv, by=request.user, declaration=str(DECLARATION)
        ),
    )


def _reasoned_answer(request: HttpRequest, pk: int, service) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _expert_required(request)
        _invitation(request, pk)
        messages.error(request, _("Give a reason (at most 2000 characters)."))
        return redirect("portal:invitation_list")
    reason = form.cleaned_data["reason"]
    return _answer(request, pk, lambda inv: service(invitation=inv, by=request.user, reason=reason))


@login_required
@require_POST
def invitation_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _reasoned_answer(request, pk, svc.invitation_decline)


@login_required
@require_POST
def invitation_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    return _reasoned_answer(request, pk, svc.invitation_withdraw_for_conflict)
