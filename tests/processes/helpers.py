"""A call in its public notice, with member departments, driven through the real services."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from processes import engine
from tests.factories import DepartmentFactory, member
from tests.workflow.publicity_helpers import call_in_notice
from workflow.choices import Role
from workflow.models import Countersign
from workflow.services.countersign import countersign_open, countersign_sign


class Notice:
    def __init__(self, departments: int = 2):
        self.notice = call_in_notice()
        self.call = self.notice.call
        self.staff = self.notice.staff
        self.director = self.notice.director
        self.winner = self.notice.winner
        self.departments = [DepartmentFactory(office=self.call.office) for _ in range(departments)]
        self.approvers = [member(Role.DEPARTMENT_APPROVER, d) for d in self.departments]
        self.after_notice = self.notice.publicity.ends_at + dt.timedelta(minutes=1)

    def sync(self) -> None:
        with transaction.atomic():
            engine.sync(self.call)

    def countersign_all(self) -> None:
        """Run after the notice period: open a round and let every department agree."""
        self.sync()
        countersign_round = countersign_open(call=self.call, by=self.staff)
        for department, approver in zip(self.departments, self.approvers, strict=True):
            countersign = Countersign.objects.get(round=countersign_round, department=department)
            countersign_sign(countersign=countersign, by=approver, agree=True, opinion="同意。")


def open_steps(artifact) -> set[str]:
    process = engine.processes_of(artifact).filter(status="NEW").get()
    return {
        t.flow_task.name
        for t in process.flow_class.task_class.objects.filter(
            process=process, status__in=engine.OPEN_TASK
        )
    }


def open_task(artifact, name: str):
    process = engine.processes_of(artifact).filter(status="NEW").get()
    return process.flow_class.task_class.objects.get(
        process=process, status__in=engine.OPEN_TASK, flow_task=getattr(process.flow_class, name)
    )
