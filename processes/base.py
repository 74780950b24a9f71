"""What every flow of ours shares: the row lock, how it starts, when it is abandoned."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from viewflow.workflow import flow, lock
from viewflow.workflow.status import PROCESS, STATUS

from workflow.models import Application, Department


class Flow(flow.Flow):
    # Joins are unsafe without a lock on the process row (viewflow's own warning).
    lock_impl = lock.select_for_update_lock
    artifact_model: type[models.Model]
    # Relations the inbox loads with the artifact so every row costs no further query.
    artifact_related: tuple[str, ...] = ()

    def begin(self, activation: Any, artifact: models.Model, by: Any = None) -> Any:
        activation.process.artifact = artifact
        return activation.process

    @classmethod
    def should_start(cls, artifact: Any) -> bool:
        raise NotImplementedError

    @classmethod
    def responsible_office(cls, artifact: Any) -> Any:
        """The office that answers for the artifact: it may urge the flow's tasks."""
        return application_of(artifact).call.office

    @classmethod
    def waiting_on_time(cls) -> Any:
        """Artifacts with a Step that may finish by the clock alone (see engine.tick)."""
        return ()

    @classmethod
    def should_cancel(cls, artifact: Any) -> bool:
        """The artifact reached a state where no task of this flow makes sense any more."""
        return False

    @classmethod
    def cancel(cls, process: Any) -> None:
        now = timezone.now()
        cls.task_class.objects.filter(
            process=process, status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
        ).update(status=STATUS.CANCELED, finished=now)
        process.status = PROCESS.CANCELED
        process.finished = now
        process.save(update_fields=["status", "finished"])


def artifact_page(name: str) -> Any:
    """A Step's url: the portal page `name` of the flow's artifact (its pk is the argument)."""
    from django.urls import reverse

    return lambda task: reverse(name, args=[task.process.artifact_object_id])


# Units who act on Steps, from an activation (or a task: both have .process and .task).


def artifact(activation: Any) -> Any:
    return activation.process.artifact


def office_of_call(activation: Any) -> Any:
    return artifact(activation).office


def office_of_application(activation: Any) -> Any:
    return artifact(activation).call.office


def organisation_of_application(activation: Any) -> Any:
    return artifact(activation).organisation


def department_of_task(activation: Any) -> Department:
    return Department.objects.get(pk=activation.task.data["department"])


def application_of(obj: Any) -> Application:
    return obj if isinstance(obj, Application) else obj.application
