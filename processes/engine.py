"""Running the flows: start them, advance them, and list each user's open tasks.

Flows never set a domain state. Services change state through FSM transitions and then call
`sync(obj, by=user)` inside the same transaction: every flow whose artifact is `obj` completes
the Steps whose work is now done and creates the next ones, and flows that should now exist for
`obj` are started. The decision, its audit event and the flow's progress commit together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from processes.nodes import Step
from workflow.errors import Conflict

OPEN_TASK = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
MAX_ROUNDS = 20  # a guard: no flow of ours has more consecutive steps done at once


def flows() -> list[type]:
    from processes.registry import FLOWS

    return FLOWS


def processes_of(obj: models.Model) -> QuerySet[Process]:
    ct = ContentType.objects.get_for_model(obj)
    return Process.objects.filter(artifact_content_type=ct, artifact_object_id=obj.pk)


def sync(*objs: models.Model, by: Any = None) -> None:
    """Advance every open flow of `objs` as far as the domain state allows, then start the
    flows that should now exist for them. Must run inside the decision's transaction."""
    assert transaction.get_connection().in_atomic_block, (
        "sync() belongs in the decision's transaction"
    )
    for obj in objs:
        if obj is None:
            continue
        for process in processes_of(obj).filter(status=PROCESS.NEW):
            if process.flow_class.should_cancel(obj):
                process.flow_class.cancel(process)
            else:
                _advance(process, by)
        for flow_class in flows():
            if (
                flow_class.artifact_model is type(obj)
                and flow_class.should_start(obj)
                and not processes_of(obj).filter(flow_class=flow_class, status=PROCESS.NEW).exists()
            ):
                process = flow_class.start.run(artifact=obj, by=by)
                _advance(process, by)


def tick(now: dt.datetime | None = None) -> int:
    """The scheduler's job: some Steps finish with the passing of time (a notice period ends),
    not with a decision. Re-check the artifacts each flow names; one transaction each."""
    checked = 0
    for flow_class in flows():
        for obj in flow_class.waiting_on_time():
            try:
                with transaction.atomic():
                    sync(obj)
            except Conflict:
                continue  # an added signer must sign first; the next tick tries again
            checked += 1
    return checked


def _advance(process: Process, by: Any) -> None:
    flow_class = process.flow_class
    with flow_class.lock(process.pk):
        for _ in range(MAX_ROUNDS):
            progressed = False
            tasks = flow_class.task_class.objects.filter(
                process_id=process.pk, status__in=OPEN_TASK
            )
            for task in tasks.order_by("pk"):
                node = task.flow_task
                if isinstance(node, Step) and ready(task):
                    _complete(task, by)
                    progressed = True
            if not progressed:
                return


def ready(task: Task) -> bool:
    """A Step is done when its work is done, it is not held after a return or withdrawal,
    and everyone added to sign it (加签) has signed. Work done while someone must still sign
    *before* the step is refused: the whole decision rolls back."""
    from processes.models import AddedSignState, SignPosition

    if task.data.get("hold") or not task.flow_task.is_done(task):
        return False
    pending = task.added_signers.filter(state=AddedSignState.PENDING)
    before = pending.filter(position=SignPosition.BEFORE).select_related("user", "department")
    if before:
        names = "、".join(s.signer_name for s in before)
        raise Conflict(
            _("This step waits for the signature of %(names)s first (added signer).")
            % {"names": names}
        )
    return not pending.exists()


def _complete(task: Task, by: Any) -> None:
    activation = task.flow_task.activation_class(task)
    actor = by if getattr(by, "is_authenticated", False) else None
    if task.status == STATUS.NEW:
        activation.assign(actor)
    if task.status == STATUS.ASSIGNED:
        activation.start(None)
    task.data = {
        **(task.data or {}),
        "done_by": actor.get_username() if actor else "",
        "done_by_id": actor.pk if actor else None,
    }
    activation.execute()


def task_created(task: Task) -> None:
    """Tell everyone who may act on a new Step."""
    from notifications.kinds import Kind
    from notifications.messenger import notify

    node = task.flow_task
    artifact = task.process.artifact
    notify(
        Kind.TASK_ASSIGNED,
        candidates(task),
        artifact,
        task=node.task_title,
        subject=str(artifact),
        due=due_of(task),
    )


def due_of(task: Task) -> dt.datetime | None:
    raw = (task.data or {}).get("due")
    return parse_datetime(raw) if raw else None


def unit_filter(task: Task) -> dict[str, Any]:
    """The Membership lookup for the task's unit: office=, department= or organisation=."""
    unit = task.owner_permission_obj
    return {unit._meta.model_name: unit}


def candidates(task: Task) -> list[int]:
    """Users who may act on the task: the owner if set, else everyone with the role in the unit."""
    from workflow.models import Membership

    if task.owner_id:
        return [task.owner_id]
    unit = task.owner_permission_obj
    if unit is None:
        return []
    return list(
        Membership.objects.filter(role=task.owner_permission, **unit_filter(task))
        .values_list("user_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class InboxRow:
    task: Task
    title: str
    subject: str
    url: str
    due: dt.datetime | None
    overdue: bool
    reason: str


def _unit_condition(user: Any) -> Q:
    """Tasks of the units in which the user holds the role the task asks for: one query."""
    from workflow.models import Department, Membership, Office, Organisation

    cts = ContentType.objects.get_for_models(Office, Department, Organisation)
    condition = Q(owner=user)
    rows = Membership.objects.filter(user=user).values_list(
        "role", "office_id", "department_id", "organisation_id"
    )
    for role, office_id, department_id, organisation_id in rows:
        for model, pk in (
            (Office, office_id),
            (Department, department_id),
            (Organisation, organisation_id),
        ):
            if pk is not None:
                condition |= Q(
                    owner__isnull=True,
                    owner_permission=role,
                    owner_permission_content_type=cts[model],
                    owner_permission_obj_pk=str(pk),
                )
    return condition


def open_tasks(user: Any) -> QuerySet[Task]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Task.objects.none()
    return (
        Task.objects.filter(status__in=OPEN_TASK, flow_task_type="HUMAN")
        .filter(_unit_condition(user))
        .select_related("process")
        .order_by("created", "pk")
    )


def inbox(user: Any, now: dt.datetime | None = None) -> list[InboxRow]:
    """我的待办: the user's open Steps across every flow, oldest first. The query count does
    not grow with the number of tasks: memberships, tasks, then one query per artifact type."""
    now = now or timezone.now()
    tasks = list(open_tasks(user))
    _prefetch_artifacts(tasks)
    rows = []
    for task in tasks:
        node = task.flow_task
        due = due_of(task)
        rows.append(
            InboxRow(
                task=task,
                title=str(node.task_title),
                subject=str(task.process.artifact),
                url=node.url(task),
                due=due,
                overdue=bool(due and due < now),
                reason=node.reason(task),
            )
        )
    return rows


def _prefetch_artifacts(tasks: Iterable[Task]) -> None:
    prefetch_artifacts([task.process for task in tasks])


def prefetch_artifacts(processes: Iterable[Process]) -> None:
    """Load the processes' artifacts with one query per artifact type instead of one per row."""
    by_type: dict[int, list[Process]] = {}
    for process in processes:
        by_type.setdefault(process.artifact_content_type_id, []).append(process)
    for ct_id, group in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        related = sorted(
            {name for f in flows() if f.artifact_model is model for name in f.artifact_related}
        )
        objects = model._default_manager.select_related(*related).in_bulk(
            {p.artifact_object_id for p in group}
        )
        for process in group:
            # Sets the GenericForeignKey's cache, so process.artifact costs no query.
            process.artifact = objects.get(process.artifact_object_id)
