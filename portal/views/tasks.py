"""我的待办 and the approval moves on a task: hand over, urge, copy, return, withdraw, send on,
add a signer; signatures asked of me, items copied to me, and my absence delegations.

Thin views: the moves and who may make them live in processes.moves.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from portal.forms_tasks import (
    AddSignerForm,
    CopyForm,
    DelegationForm,
    HandOverForm,
    ReturnForm,
    SignForm,
    UrgeForm,
    WithdrawForm,
)
from processes import engine, moves
from processes.models import AddedSigner, Delegation, ItemCopy
from processes.nodes import Step
from workflow.errors import DomainError
from workflow.models import Department, Membership

from .common import report

User = get_user_model()
RECENT_SENT = 20


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    rows = engine.inbox(request.user)
    sent = moves.sent_by(request.user, RECENT_SENT)
    signs = list(moves.signs_waiting(request.user))
    engine.prefetch_artifacts([s.task.process for s in signs])
    return render(
        request,
        "portal/tasks/list.html",
        {
            "rows": rows,
            "overdue": sum(1 for row in rows if row.overdue),
            "signs": signs,
            "copies_unread": moves.copies_for(request.user).filter(read_at__isnull=True).count(),
            "sent": sent,
        },
    )


def _task_or_404(user: Any, pk: int) -> Task:
    task = get_object_or_404(Task.objects.select_related("process", "owner"), pk=pk)
    if not isinstance(task.flow_task, Step) or not moves.may_read(user, task.process):
        raise Http404
    return task


def _colleagues(task: Task, user: Any) -> QuerySet:
    members = Membership.objects.filter(
        role=task.owner_permission, **engine.unit_filter(task)
    ).exclude(user=user)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by("pk")


def _forms(task: Task, user: Any, data: Any = None, which: str = "") -> dict[str, Any]:
    """The move forms this user may use on this task; `data` binds the one being posted."""

    def bound(name: str) -> Any:
        return data if which == name else None

    forms: dict[str, Any] = {}
    process = task.process
    if moves.may_act(user, task):
        forms["hand_over"] = HandOverForm(bound("hand_over"), colleagues=_colleagues(task, user))
        forms["copy"] = CopyForm(bound("copy"), candidates=moves.copy_candidates(process))
        steps = [(t.flow_task.name, str(t.flow_task.task_title)) for t in moves.earlier_steps(task)]
        if steps and not task.token.is_split_token():
            forms["return"] = ReturnForm(bound("return"), steps=steps)
        office = moves.responsible_office(process)
        forms["add_signer"] = AddSignerForm(
            bound("add_signer"),
            departments=Department.objects.filter(office=office),
            people=moves.copy_candidates(process).exclude(pk=user.pk),
        )
    if task.status in engine.OPEN_TASK and moves.is_responsible_office(user, process):
        forms["urge"] = UrgeForm(bound("urge"))
    if moves.withdrawable(task, user) and task.flow_task.undo is not None:
        forms["withdraw"] = WithdrawForm(bound("withdraw"))
    return forms


def _history(task: Task) -> list[Task]:
    return list(
        Task.objects.filter(process=task.process, flow_task_type="HUMAN")
        .select_related("owner")
        .order_by("created", "pk")
    )


def _render_detail(request: HttpRequest, task: Task, forms: dict[str, Any]) -> HttpResponse:
    node = task.flow_task
    nxt = getattr(node, "_next", None)
    returned = task.data.get("returned") or {}
    context = {
        "task": task,
        "node": node,
        "subject": task.process.artifact,
        "work_url": node.url(task),
        "due": engine.due_of(task),
        "overdue": bool(engine.due_of(task) and engine.due_of(task) < timezone.now()),
        "may_act": moves.may_act(request.user, task),
        "returned": returned,
        "next_title": getattr(nxt, "task_title", ""),
        "history": _history(task),
        "signers": list(task.added_signers.select_related("user", "department")),
        "copies": list(ItemCopy.objects.filter(process=task.process).select_related("recipient")),
        "forms": forms,
        "acting_for": User.objects.filter(pk=task.data.get("acting_for")).first(),
        "original": User.objects.filter(pk=task.data.get("original_assignee")).first(),
    }
    return render(request, "portal/tasks/detail.html", context)


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request.user, pk)
    if request.GET.get("copy"):
        ItemCopy.objects.filter(
            process=task.process, recipient=request.user, read_at__isnull=True
        ).update(read_at=timezone.now())
    return _render_detail(request, task, _forms(task, request.user))


def _run(request: HttpRequest, task: Task, move: str, form: Any) -> Any:
    data = form.cleaned_data
    user = request.user
    if move == "hand_over":
        moves.task_hand_over(task=task, by=user, to=data["to"], reason=data["reason"])
        return _("The task is handed over.")
    if move == "urge":
        moves.task_urge(task=task, by=user, note=data["note"])
        return _("The assignee has been urged.")
    if move == "copy":
        moves.item_copy(task=task, by=user, recipients=data["recipients"], note=data["note"])
        return _("The item is copied.")
    if move == "return":
        moves.task_return(task=task, by=user, to_step=data["to_step"], reason=data["reason"])
        return _("The item is returned.")
    if move == "withdraw":
        moves.task_withdraw(task=task, by=user, reason=data["reason"])
        return _("The item is withdrawn; it is back in your tasks.")
    if move == "add_signer":
        moves.signer_add(
            task=task,
            by=user,
            position=data["position"],
            reason=data["reason"],
            user=data.get("user"),
            department=data.get("department"),
        )
        return _("The signer is added.")
    raise Http404


@login_required
@require_POST
def task_move(request: HttpRequest, pk: int, move: str) -> HttpResponse:
    task = _task_or_404(request.user, pk)
    if move == "send_on":
        try:
            moves.task_send_on(task=task, by=request.user)
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:task_detail", pk=task.pk)
        messages.success(request, _("The item is sent on."))
        return redirect("portal:task_list")
    forms = _forms(task, request.user, request.POST, move)
    form = forms.get(move)
    if form is None:
        # The move is not open to this user on this task (role, state or flow).
        messages.error(request, _("You cannot do this with this task now."))
        return redirect("portal:task_detail", pk=task.pk)
    if form.is_valid():
        try:
            done = _run(request, task, move, form)
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:task_detail", pk=task.pk)
        messages.success(request, done)
        return redirect("portal:task_list")
    return _render_detail(request, task, forms)


@login_required
def sign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    signer = get_object_or_404(
        AddedSigner.objects.select_related("task__process", "department", "requested_by"), pk=pk
    )
    if not moves.may_sign(request.user, signer):
        raise Http404
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moves.signer_sign(
                signer=signer,
                by=request.user,
                agree=form.cleaned_data["decision"] == "agree",
                opinion=form.cleaned_data["opinion"],
            )
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:sign_detail", pk=signer.pk)
        messages.success(request, _("Your signature is recorded."))
        return redirect("portal:task_list")
    return render(
        request,
        "portal/tasks/sign.html",
        {
            "signer": signer,
            "task": signer.task,
            "subject": signer.task.process.artifact,
            "form": form,
        },
    )


@login_required
def copied_list(request: HttpRequest) -> HttpResponse:
    copies = list(moves.copies_for(request.user).order_by("-created_at")[:100])
    engine.prefetch_artifacts([c.process for c in copies])
    first_tasks = dict(
        Task.objects.filter(process__in=[c.process_id for c in copies], flow_task_type="HUMAN")
        .order_by("process_id", "-created")
        .values_list("process_id", "pk")
    )
    rows = [(c, first_tasks.get(c.process_id)) for c in copies]
    return render(request, "portal/tasks/copied.html", {"rows": rows})


def _delegate_candidates(user: Any) -> QuerySet:
    mine = Membership.objects.filter(user=user)
    colleagues = Membership.objects.filter(
        Q(office_id__in=mine.filter(office__isnull=False).values("office_id"))
        | Q(department_id__in=mine.filter(department__isnull=False).values("department_id"))
    ).exclude(user=user)
    return User.objects.filter(pk__in=colleagues.values("user_id"), is_active=True).order_by("pk")


@login_required
def delegation_list(request: HttpRequest) -> HttpResponse:
    form = DelegationForm(request.POST or None, colleagues=_delegate_candidates(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            moves.delegation_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            report(request, exc)
        else:
            messages.success(request, _("Your absence delegation is set."))
            return redirect("portal:delegation_list")
    given = Delegation.objects.filter(delegator=request.user).select_related("delegate")
    received = Delegation.objects.filter(delegate=request.user).select_related("delegator")
    return render(
        request,
        "portal/tasks/delegations.html",
        {"form": form, "given": given, "received": received, "today": timezone.localdate()},
    )


@login_required
@require_POST
def delegation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    delegation = get_object_or_404(Delegation, pk=pk, delegator=request.user)
    try:
        moves.delegation_revoke(delegation=delegation, by=request.user)
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The delegation is revoked."))
    return redirect("portal:delegation_list")
