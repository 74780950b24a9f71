"""The approval moves officials know from office-automation systems, once for every flow:
转办 (hand over), 委托 (absence delegation), 催办 (urge), 抄送 (copy), 退回 (return), 撤回
(withdraw) and 加签 (add a signer before or after a step).

The flows stay the one place that decides what comes next: a return or a withdrawal puts an
earlier Step back in someone's hands, *held* until they send it on; the flow then continues
from that Step as it always does. A Step whose domain work must be undone to be withdrawn
(an agreement already sent) names the domain service that undoes it (`Step.undo`). Every move
is written to the audit trail with its actor, time and reason, in the move's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from notifications.kinds import Kind
from notifications.messenger import notify
from processes import engine
from processes.models import (
    AddedSigner,
    AddedSignState,
    Delegation,
    ItemCopy,
    SignPosition,
)
from processes.nodes import Step
from workflow import audit
from workflow.choices import Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Department, Membership, Office
from workflow.services.base import clean_reason

User = get_user_model()
OFFICE_ROLES = (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR)


# --- Who may do what with a task -----------------------------------------------------------


def may_act(user: Any, task: Task) -> bool:
    """The user may do the task's work: its owner, or (unowned) anyone with its role in its unit."""
    if not getattr(user, "is_authenticated", False) or task.status not in engine.OPEN_TASK:
        return False
    if task.owner_id:
        return task.owner_id == user.pk
    if task.owner_permission_obj is None:
        return False
    return Membership.objects.filter(
        user=user, role=task.owner_permission, **engine.unit_filter(task)
    ).exists()


def responsible_office(process: Process) -> Office:
    return process.flow_class.responsible_office(process.artifact)


def is_responsible_office(user: Any, process: Process) -> bool:
    return Membership.objects.filter(
        user=user, role__in=OFFICE_ROLES, office=responsible_office(process)
    ).exists()


def may_read(user: Any, process: Process) -> bool:
    """The task page is for whoever may act on one of its tasks, the responsible office, the
    people it was copied to, added signers, and supervisors."""
    if not getattr(user, "is_authenticated", False):
        return False
    if (
        is_responsible_office(user, process)
        or Membership.objects.filter(user=user, role=Role.SUPERVISOR).exists()
    ):
        return True
    if ItemCopy.objects.filter(process=process, recipient=user).exists():
        return True
    departments = Membership.objects.filter(user=user, role=Role.DEPARTMENT_APPROVER).values(
        "department_id"
    )
    if AddedSigner.objects.filter(
        Q(user=user) | Q(department_id__in=departments), task__process=process
    ).exists():
        return True
    tasks = Task.objects.filter(process=process)
    return any(may_act(user, t) or t.data.get("done_by_id") == user.pk for t in tasks)


def _require_act(user: Any, task: Task) -> str:
    if not may_act(user, task):
        raise NotPermitted(_("Only the person this task is waiting for may do this."))
    return task.owner_permission or ""


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().get(pk=task.pk)


def _record(task: Task, action: str, by: Any, role: str, reason: str = "", **diff: Any) -> None:
    audit.record(
        action=f"task.{action}",
        obj=task,
        by=by,
        role=role,
        from_state=task.status,
        to_state=task.status,
        reason=reason,
        diff={"process": task.process_id, "step": task.flow_task.name, **diff},
    )


# --- 转办 hand over, 委托 absence delegation ----------------------------------------------


def _holds_role(user: Any, task: Task) -> bool:
    return Membership.objects.filter(
        user=user, role=task.owner_permission, **engine.unit_filter(task)
    ).exists()


def task_hand_over(*, task: Task, by: Any, to: Any, reason: str) -> Task:
    """转办: pass one task to a colleague who holds the same role in the same unit."""
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        task = _locked(task)
        role = _require_act(by, task)
        if to is None or to.pk == by.pk:
            raise Invalid(_("Choose a colleague to hand the task over to."))
        if not _holds_role(to, task):
            raise Invalid(
                _("%(name)s does not hold this role in this unit and cannot take the task.")
                % {"name": to.get_full_name() or to.get_username()}
            )
        acting_for = task.data.get("acting_for")
        if acting_for and not task.data.get("may_delegate_onward"):
            raise NotPermitted(
                _("You hold this task as a delegate and may not hand it on to someone else.")
            )
        history = [*task.data.get("handed_over", []), {"from": by.pk, "to": to.pk}]
        task.data = {**task.data, "handed_over": history}
        task.data.setdefault("original_assignee", task.owner_id or by.pk)
        task.owner = to
        if task.status == STATUS.NEW:
            task.status = STATUS.ASSIGNED
        task.save(update_fields=["owner", "status", "data"])
        _record(task, "hand_over", by, role, reason, to=to.pk)
        notify(
            Kind.TASK_ASSIGNED,
            [to],
            task.process.artifact,
            task=task.flow_task.task_title,
            subject=str(task.process.artifact),
            due=engine.due_of(task),
        )
    return task


def delegation_create(
    *,
    by: Any,
    delegate: Any,
    starts_on: dt.date,
    ends_on: dt.date,
    may_delegate_onward: bool = False,
    reason: str = "",
) -> Delegation:
    """委托: set an absence delegate, a colleague of one of the user's offices or departments."""
    reason = clean_reason(reason, required=False)[:200]
    if delegate is None or delegate.pk == by.pk:
        raise Invalid(_("Choose a colleague as your delegate."))
    if ends_on < starts_on:
        raise Invalid(_("The absence must end on or after the day it starts."))
    if ends_on < timezone.localdate():
        raise Invalid(_("The absence is already over."))
    mine = Membership.objects.filter(user=by)
    offices = mine.filter(office__isnull=False).values("office_id")
    departments = mine.filter(department__isnull=False).values("department_id")
    if not Membership.objects.filter(
        Q(office_id__in=offices) | Q(department_id__in=departments), user=delegate
    ).exists():
        raise Invalid(_("The delegate must be a colleague of your office or department."))
    with transaction.atomic():
        delegation = Delegation.objects.create(
            delegator=by,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            may_delegate_onward=may_delegate_onward,
            reason=reason,
        )
        audit.record(
            action="delegation.create",
            obj=delegation,
            by=by,
            reason=reason,
            diff={
                "delegate": delegate.pk,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "may_delegate_onward": may_delegate_onward,
            },
        )
    return delegation


def delegation_revoke(*, delegation: Delegation, by: Any) -> Delegation:
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if delegation.delegator_id != by.pk:
            raise NotPermitted(_("Only the person who set a delegation may revoke it."))
        if delegation.revoked_at:
            raise Conflict(_("This delegation is already revoked."))
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["revoked_at"])
        audit.record(action="delegation.revoke", obj=delegation, by=by)
    return delegation


def active_delegations(day: dt.date) -> QuerySet[Delegation]:
    return Delegation.objects.filter(starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True)


def route_to_delegate(task: Task) -> None:
    """Called when a Step is created: if everyone who could take it is away, it goes to the
    delegate of the first of them, who acts for them on this task only."""
    holders = engine.candidates(task)
    if not holders:
        return
    away = {
        d.delegator_id: d
        for d in active_delegations(timezone.localdate()).filter(delegator_id__in=holders)
    }
    if set(holders) - set(away):
        return
    delegation = away[min(holders)]
    task.owner_id = delegation.delegate_id
    task.status = STATUS.ASSIGNED
    task.data = {
        **task.data,
        "acting_for": delegation.delegator_id,
        "may_delegate_onward": delegation.may_delegate_onward,
        "original_assignee": delegation.delegator_id,
    }
    task.save(update_fields=["owner", "status", "data"])


def acts_as_delegate(
    user: Any, role: str, *, office_id: int | None = None, department_id: int | None = None
) -> bool:
    """The user holds an open task delegated to them for `role` in the unit: the domain's
    permission checks accept them for that role there, and only while the task is open."""
    if not getattr(user, "is_authenticated", False):
        return False
    from django.contrib.contenttypes.models import ContentType

    model, pk = (Office, office_id) if office_id is not None else (Department, department_id)
    return Task.objects.filter(
        owner=user,
        status__in=engine.OPEN_TASK,
        owner_permission=role,
        owner_permission_content_type=ContentType.objects.get_for_model(model),
        owner_permission_obj_pk=str(pk),
        data__acting_for__isnull=False,
    ).exists()


# --- 催办 urge, 抄送 copy ------------------------------------------------------------------


def task_urge(*, task: Task, by: Any, note: str = "") -> Task:
    """催办: the responsible office tells the people a task waits for to finish it, now."""
    note = clean_reason(note, required=False)
    with transaction.atomic():
        task = _locked(task)
        if task.status not in engine.OPEN_TASK:
            raise Conflict(_("This task is already done; there is nothing to urge."))
        if not is_responsible_office(by, task.process):
            raise NotPermitted(_("Only the office responsible for this item may urge its tasks."))
        task.data = {**task.data, "urges": int(task.data.get("urges", 0)) + 1}
        task.save(update_fields=["data"])
        _record(task, "urge", by, Role.OFFICE_STAFF, note, urges=task.data["urges"])
        notify(
            Kind.TASK_URGED,
            engine.candidates(task),
            task.process.artifact,
            task=task.flow_task.task_title,
            subject=str(task.process.artifact),
            urger=by.get_full_name() or by.get_username(),
        )
    return task


def copy_candidates(process: Process) -> QuerySet:
    """Readers an item may be copied to: the responsible office, its member departments, and
    supervisors."""
    office = responsible_office(process)
    members = Membership.objects.filter(
        Q(office=office) | Q(department__office=office) | Q(role=Role.SUPERVISOR)
    )
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by("pk")


def item_copy(*, task: Task, by: Any, recipients: Iterable[Any], note: str = "") -> list[ItemCopy]:
    """抄送: people who read but do not act see the item in their "copied to me" list."""
    note = clean_reason(note, required=False)[:200]
    recipients = list(recipients)
    if not recipients:
        raise Invalid(_("Choose at least one person to copy the item to."))
    with transaction.atomic():
        task = _locked(task)
        role = _require_act(by, task)
        allowed = set(copy_candidates(task.process).values_list("pk", flat=True))
        outside = [r for r in recipients if r.pk not in allowed]
        if outside:
            raise Invalid(
                _(
                    "An item may be copied only to its office, the member departments and "
                    "supervisors."
                )
            )
        copies = []
        for recipient in recipients:
            copy, created = ItemCopy.objects.get_or_create(
                process=task.process,
                recipient=recipient,
                defaults={"task": task, "copied_by": by, "note": note},
            )
            if created:
                copies.append(copy)
        _record(task, "copy", by, role, note, recipients=[c.recipient_id for c in copies])
    return copies


def copies_for(user: Any) -> QuerySet[ItemCopy]:
    return ItemCopy.objects.filter(recipient=user).select_related("process", "copied_by")


# --- 退回 return, 撤回 withdraw, and sending a held Step on -------------------------------


def earlier_steps(task: Task) -> list[Task]:
    """The Steps that led to this task in its flow, nearest first (each node once): the places
    it may be returned to. The flow's start is never among them."""
    seen, found, frontier = set(), [], list(task.previous.all())
    while frontier:
        previous = frontier.pop(0)
        if previous.pk in seen:
            continue
        seen.add(previous.pk)
        if (
            isinstance(previous.flow_task, Step)
            and previous.flow_task.name not in {t.flow_task.name for t in found}
            and previous.flow_task is not task.flow_task
        ):
            found.append(previous)
        frontier.extend(previous.previous.all())
    return found


def _reopen(node: Step, activation: Any, *, owner_id: int | None, data: dict[str, Any]) -> Task:
    new = node._create(prev_activation=activation, token=activation.task.token, data=data).task
    if owner_id and _holds_role(User(pk=owner_id), new):
        new.owner_id = owner_id
        new.status = STATUS.ASSIGNED
        new.save(update_fields=["owner", "status"])
    return new


def task_return(*, task: Task, by: Any, to_step: str, reason: str) -> Task:
    """退回: send the item back to an earlier Step of the same flow, with a reason. It goes to
    whoever did that Step (or their unit), held until they send it on."""
    reason = clean_reason(reason, required=True)
    with transaction.atomic(), task.flow_task.flow_class.lock(task.process_id):
        task = _locked(task)
        role = _require_act(by, task)
        if task.token.is_split_token():
            raise Conflict(
                _("A parallel task cannot be returned on its own; give your opinion instead.")
            )
        targets = {t.flow_task.name: t for t in earlier_steps(task)}
        if to_step not in targets:
            raise Invalid(_("The item can be returned only to an earlier step of its own flow."))
        earlier = targets[to_step]
        activation = task.flow_task.activation_class(task)
        activation.cancel()
        new = _reopen(
            earlier.flow_task,
            activation,
            owner_id=earlier.data.get("done_by_id"),
            data={
                "hold": True,
                "returned": {
                    "by": by.pk,
                    "by_name": by.get_full_name() or by.get_username(),
                    "from_step": str(task.flow_task.task_title),
                    "reason": reason,
                },
            },
        )
        _record(task, "return", by, role, reason, to_step=to_step, new_task=new.pk)
        notify(
            Kind.TASK_ASSIGNED,
            engine.candidates(new),
            task.process.artifact,
            task=new.flow_task.task_title,
            subject=str(task.process.artifact),
            due=engine.due_of(new),
        )
    return new


def withdrawable(task: Task, user: Any) -> bool:
    """The user did this Step and every task it led to is still open and untouched. Works on
    prefetched `leading__added_signers` (see `sent_by`) without further queries."""
    if task.status != STATUS.DONE or task.data.get("done_by_id") != getattr(user, "pk", None):
        return False
    nexts = list(task.leading.all())
    return bool(nexts) and all(_untouched(n) for n in nexts)


def _untouched(task: Task) -> bool:
    return (
        isinstance(task.flow_task, Step)
        and task.status in (STATUS.NEW, STATUS.ASSIGNED)
        and not task.data.get("handed_over")
        and all(s.state == AddedSignState.PENDING for s in task.added_signers.all())
    )


def sent_by(user: Any, limit: int = 20) -> list[Task]:
    """The user's most recent finished Steps that they may still withdraw."""
    done = (
        Task.objects.filter(status=STATUS.DONE, data__done_by_id=user.pk, flow_task_type="HUMAN")
        .select_related("process")
        .prefetch_related("leading__added_signers")
        .order_by("-finished")[:limit]
    )
    return [t for t in done if withdrawable(t, user) and t.flow_task.undo is not None]


def task_withdraw(*, task: Task, by: Any, reason: str = "") -> Task:
    """撤回: the sender takes back what it sent while the next person has not acted on it."""
    reason = clean_reason(reason, required=False)
    with transaction.atomic(), task.flow_task.flow_class.lock(task.process_id):
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.data.get("done_by_id") != by.pk:
            raise NotPermitted(_("Only the person who sent an item may withdraw it."))
        if not withdrawable(task, by):
            raise Conflict(
                _("The next person has already acted on this item; it can no longer be withdrawn.")
            )
        node = task.flow_task
        if node.undo is None:
            raise Conflict(_("This step cannot be withdrawn; ask the next person to return it."))
        # The flow first, so that the domain's undo does not read as the next person's answer;
        # then the domain, which refuses (and everything rolls back) if that person acted.
        for next_task in task.leading.filter(status__in=engine.OPEN_TASK):
            next_task.flow_task.activation_class(next_task).cancel()
        activation = node.activation_class(task)
        new = _reopen(node, activation, owner_id=by.pk, data={"hold": True, "withdrawn": True})
        node.undo(task.process.artifact, by)
        _record(task, "withdraw", by, task.owner_permission or "", reason, new_task=new.pk)
    return new


def task_send_on(*, task: Task, by: Any) -> Task:
    """The holder of a returned or withdrawn Step sends it on: the flow continues from it."""
    with transaction.atomic():
        task = _locked(task)
        role = _require_act(by, task)
        if not task.data.get("hold"):
            raise Conflict(_("This task is not held; it moves on when its work is done."))
        task.data = {**task.data, "hold": False}
        task.save(update_fields=["data"])
        _record(task, "send_on", by, role)
        engine.sync(task.process.artifact, by=by)
        task.refresh_from_db()
        if task.status in engine.OPEN_TASK:
            raise Invalid(
                _("The work of this step is not done yet: do it on its page, then send it on.")
            )
    return task


# --- 加签 added signers --------------------------------------------------------------------


def signer_add(
    *,
    task: Task,
    by: Any,
    position: str,
    reason: str,
    user: Any = None,
    department: Department | None = None,
) -> AddedSigner:
    """加签: ask a person or a department to sign before (前加签) or after (后加签) this step."""
    reason = clean_reason(reason, required=True)[:200]
    if position not in SignPosition.values:
        raise Invalid(_("Choose whether the signature comes before or after this step."))
    if (user is None) == (department is None):
        raise Invalid(_("Choose either a person or a department to sign."))
    with transaction.atomic():
        task = _locked(task)
        role = _require_act(by, task)
        if user is not None and user.pk == by.pk:
            raise Invalid(_("You cannot add yourself as a signer."))
        office = responsible_office(task.process)
        if department is not None and department.office_id != office.pk:
            raise Invalid(_("Only a member department of the responsible office can be added."))
        if user is not None and user.pk not in set(
            copy_candidates(task.process).values_list("pk", flat=True)
        ):
            raise Invalid(_("Only staff of the office, its departments or supervisors can sign."))
        signer = AddedSigner.objects.create(
            task=task,
            position=position,
            user=user,
            department=department,
            requested_by=by,
            reason=reason,
        )
        _record(
            task,
            "add_signer",
            by,
            role,
            reason,
            position=position,
            user=user.pk if user else None,
            department=department.pk if department else None,
        )
        recipients = (
            [user]
            if user
            else Membership.objects.filter(
                department=department, role=Role.DEPARTMENT_APPROVER
            ).values_list("user_id", flat=True)
        )
        notify(
            Kind.TASK_ASSIGNED,
            recipients,
            task.process.artifact,
            task=_("Sign: %(step)s") % {"step": task.flow_task.task_title},
            subject=str(task.process.artifact),
            due=engine.due_of(task),
        )
    return signer


def may_sign(user: Any, signer: AddedSigner) -> bool:
    if signer.user_id:
        return signer.user_id == user.pk
    return Membership.objects.filter(
        user=user, role=Role.DEPARTMENT_APPROVER, department_id=signer.department_id
    ).exists()


def signer_sign(*, signer: AddedSigner, by: Any, agree: bool, opinion: str) -> AddedSigner:
    opinion = clean_reason(opinion, required=True)
    with transaction.atomic():
        signer = AddedSigner.objects.select_for_update().select_related("task").get(pk=signer.pk)
        if not may_sign(by, signer):
            raise NotPermitted(_("This signature is asked of someone else."))
        if signer.state != AddedSignState.PENDING:
            raise Conflict(_("This signature has already been given."))
        task = signer.task
        if task.status not in engine.OPEN_TASK:
            raise Conflict(_("The step this signature belongs to is closed."))
        if signer.position == SignPosition.AFTER and not task.flow_task.is_done(task):
            raise Conflict(_("This signature comes after the step: wait until its work is done."))
        signer.state = AddedSignState.AGREED if agree else AddedSignState.DISAGREED
        signer.opinion = opinion
        signer.signed_by = by
        signer.signed_at = timezone.now()
        signer.save(update_fields=["state", "opinion", "signed_by", "signed_at"])
        role = Role.DEPARTMENT_APPROVER if signer.department_id else ""
        _record(task, "sign", by, role, opinion, signer=signer.pk, agree=agree)
        engine.sync(task.process.artifact, by=by)
    return signer


def signs_waiting(user: Any) -> QuerySet[AddedSigner]:
    """Signatures asked of the user or of a department they approve for, still pending."""
    if not getattr(user, "is_authenticated", False):
        return AddedSigner.objects.none()
    departments = Membership.objects.filter(user=user, role=Role.DEPARTMENT_APPROVER).values(
        "department_id"
    )
    return (
        AddedSigner.objects.filter(
            Q(user=user) | Q(department_id__in=departments),
            state=AddedSignState.PENDING,
            task__status__in=engine.OPEN_TASK,
        )
        .select_related("task__process", "department", "requested_by")
        .order_by("created_at")
    )
