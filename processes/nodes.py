"""The one kind of human task our flows use: a Step.

A Step says who acts (a role inside one unit: the call's office, a department, the applicant
organisation), where the work is done (a portal page) and when the work counts as done (a
predicate on the domain objects). The work itself is done by the domain services behind that
page; the model's FSM keeps the state. `processes.engine.sync` completes a Step once its
predicate holds, so a flow can never disagree with the state of the objects it orchestrates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import models
from django.utils import timezone
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import SplitActivation

from workflow.choices import Role
from workflow.workdays import working_day_deadline

Unit = Callable[[Any], models.Model]  # activation -> Office | Department | Organisation
Done = Callable[[Any], bool]  # task -> bool
Url = Callable[[Any], str]  # task -> path


def _no_view(*args: Any, **kwargs: Any) -> None:  # pragma: no cover - never routed
    raise RuntimeError("Steps are done through the portal pages, not viewflow's views.")


class Step(flow.View):
    """A human task for `role` in `unit`, done when `done(task)` holds."""

    def __init__(
        self,
        *,
        title: Any,
        role: Role,
        unit: Unit,
        done: Done,
        url: Url,
        due_working_days: int | None = None,
        reason: Callable[[Any], str] | None = None,
        announce: bool = True,
        undo: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        super().__init__(_no_view)
        self.task_title = title
        self.role = role
        self._unit = unit
        self._done = done
        self._url = url
        self.due_working_days = due_working_days
        self._reason = reason
        # False where the domain service already tells the same people (one message, not two).
        self.announce = announce
        # The domain service that takes this Step's work back (撤回), as (artifact, by); a Step
        # without one cannot be withdrawn.
        self.undo = undo
        self._owner_permission = role.value

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        # Bound here, on the node copy the flow class keeps, not on the declared original.
        self._on_create = self.on_created

    def calc_owner_permission(self, activation: Any) -> str:
        return self.role.value

    def calc_owner_permission_obj(self, activation: Any) -> models.Model:
        return self._unit(activation)

    def calc_owner(self, activation: Any) -> None:
        # Nobody owns a new Step: everyone with the role in the unit sees it in the inbox.
        return None

    def due_at(self, created: dt.datetime) -> dt.datetime | None:
        if self.due_working_days is None:
            return None
        return working_day_deadline(created, self.due_working_days)

    def is_done(self, task: Any) -> bool:
        return bool(self._done(task))

    def url(self, task: Any) -> str:
        return self._url(task)

    def reason(self, task: Any) -> str:
        """Why the task is here again, when a later step sent it back."""
        return self._reason(task) if self._reason else ""

    def on_created(self, activation: Any) -> None:
        from processes import engine

        task = activation.task
        due = self.due_at(task.created or timezone.now())
        if due is not None:
            task.data = {**(task.data or {}), "due": due.isoformat()}
            task.save(update_fields=["data"])
        from processes.moves import route_to_delegate

        route_to_delegate(task)
        if self.announce:
            engine.task_created(task)


class FanOutActivation(SplitActivation):
    @Activation.status.super()
    def activate(self) -> None:
        for node, case, data_source in self.flow_task._branches:
            if case and not case(self):
                continue
            items = data_source(self) if data_source else [None]
            self.next_tasks.extend((node, item) for item in items)
        if not self.next_tasks:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class FanOut(flow.Split):
    """A parallel split that creates one task per item of `data_source` (the item becomes the
    task's data). viewflow 2.4 documents `data_source` on Split but ignores it."""

    activation_class = FanOutActivation

    def Next(self, node: Any, case: Any = None, data_source: Any = None) -> FanOut:
        self._activate_next.append((node, case, data_source))
        return self
