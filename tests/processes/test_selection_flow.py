"""The selection flow follows the call's state: tasks for the right people at each step, the
countersign fanned out per department and joined, a disagreement sending the proposal back."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from processes import engine
from processes.selection import SelectionFlow
from tests.factories import (
    DepartmentFactory,
    OfficeFactory,
    OrganisationFactory,
    member,
    published_call,
)
from tests.workflow.publicity_helpers import call_in_notice, person_objection
from workflow.choices import ApplicationState, CallState, Role
from workflow.models import Countersign
from workflow.services.applications import application_approve
from workflow.services.calls import call_cancel, call_close, call_decide
from workflow.services.countersign import countersign_open, countersign_sign
from workflow.services.publicity import objection_dismiss

pytestmark = pytest.mark.django_db


def titles(user) -> list[str]:
    return [row.title for row in engine.inbox(user)]


def node_names(call) -> set[str]:
    process = engine.processes_of(call).get()
    return {
        t.flow_task.name
        for t in SelectionFlow.task_class.objects.filter(
            process=process, status__in=engine.OPEN_TASK
        )
    }


def test_publishing_a_call_starts_its_flow_with_a_task_for_its_office_only():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    assert node_names(call) == {"close_window"}
    assert titles(staff) == ["Close the application window"] or titles(staff) == ["关闭申报窗口"]
    assert engine.inbox(member(Role.OFFICE_STAFF, OfficeFactory())) == []
    assert engine.inbox(member(Role.APPLICANT, OrganisationFactory())) == []
    assert engine.inbox(member(Role.OFFICE_DIRECTOR, call.office)) == []


def test_cancelling_the_call_cancels_its_open_tasks():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    call_cancel(call=call, by=staff, reason="产业规划调整，本榜单取消。")
    assert node_names(call) == set()
    assert engine.processes_of(call).get().status == "CANCELED"
    assert engine.inbox(staff) == []


class Notice:
    def __init__(self, departments: int = 2):
        self.notice = call_in_notice()
        self.call = self.notice.call
        self.departments = [DepartmentFactory(office=self.call.office) for _ in range(departments)]
        self.approvers = [member(Role.DEPARTMENT_APPROVER, d) for d in self.departments]
        self.after_notice = self.notice.publicity.ends_at + dt.timedelta(minutes=1)

    def sync(self) -> None:
        with transaction.atomic():
            engine.sync(self.call)


def test_the_objection_step_waits_for_the_notice_to_end_and_every_objection_to_be_answered():
    world = Notice()
    objection = person_objection(world.notice.winner)
    assert node_names(world.call) == {"answer_objections"}
    with time_machine.travel(world.after_notice):
        world.sync()
        assert node_names(world.call) == {"answer_objections"}  # one objection unanswered
        objection_dismiss(
            objection=objection, by=world.notice.staff, answer="经核查，反映情况不属实。"
        )
        assert node_names(world.call) == {"open_countersign"}


def test_countersign_goes_to_each_department_and_a_disagreement_returns_it_to_the_office():
    world = Notice()
    staff, director = world.notice.staff, world.notice.director
    with time_machine.travel(world.after_notice):
        world.sync()
        countersign_round = countersign_open(call=world.call, by=staff)
        assert node_names(world.call) == {"countersign"}
        first, second = world.approvers
        assert len(engine.inbox(first)) == len(engine.inbox(second)) == 1
        assert engine.inbox(first)[0].task.data["department"] == world.departments[0].pk

        countersign = Countersign.objects.get(
            round=countersign_round, department=world.departments[0]
        )
        countersign_sign(
            countersign=countersign, by=first, agree=False, opinion="资金来源证明不充分。"
        )
        # One disagreement closes the round: both department tasks end, the office revises.
        assert node_names(world.call) == {"revise_proposal"}
        assert engine.inbox(second) == []
        (row,) = engine.inbox(staff)
        assert "资金来源证明不充分" in row.reason

        second_round = countersign_open(call=world.call, by=staff)
        assert node_names(world.call) == {"countersign"}
        for department, approver in zip(world.departments, world.approvers, strict=True):
            countersign = Countersign.objects.get(round=second_round, department=department)
            countersign_sign(countersign=countersign, by=approver, agree=True, opinion="同意。")
        assert node_names(world.call) == {"director_approval"}
        assert [r.task.flow_task.name for r in engine.inbox(director)] == ["director_approval"]
        assert engine.inbox(staff) == []

        application_approve(application=world.notice.winner, by=director)
        call_decide(call=world.call, by=director)
        assert node_names(world.call) == set()
        assert engine.processes_of(world.call).get().status == "DONE"


def test_the_approved_application_starts_its_landing_flow():
    world = Notice()
    with time_machine.travel(world.after_notice):
        world.sync()
        countersign_round = countersign_open(call=world.call, by=world.notice.staff)
        for department, approver in zip(world.departments, world.approvers, strict=True):
            countersign = Countersign.objects.get(round=countersign_round, department=department)
            countersign_sign(countersign=countersign, by=approver, agree=True, opinion="同意。")
        application_approve(application=world.notice.winner, by=world.notice.director)
    winner = world.notice.winner
    winner.refresh_from_db()
    assert winner.state == ApplicationState.APPROVED
    (process,) = engine.processes_of(winner)
    assert process.flow_class.__name__ == "LandingFlow"
    rows = engine.inbox(world.notice.staff)
    assert [r.task.flow_task.name for r in rows] == ["draft_agreement"]


def test_the_inbox_marks_overdue_tasks():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    from tests.factories import force_state

    force_state(call, CallState.CLOSED)
    with transaction.atomic():
        engine.sync(call)
    (row,) = engine.inbox(staff)
    assert row.task.flow_task.name == "formal_checks" and row.due is not None
    assert not row.overdue
    assert engine.inbox(staff, now=row.due + dt.timedelta(seconds=1))[0].overdue


def test_the_inbox_costs_the_same_queries_for_two_tasks_or_forty():
    office = OfficeFactory()
    staff = member(Role.OFFICE_STAFF, office)
    # Other units of the same user add permission rows, as they would for viewflow's queue.
    for _ in range(5):
        member(Role.OFFICE_STAFF, OfficeFactory())
    for _ in range(2):
        published_call(office=office)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            rows = engine.inbox(staff)
            [(r.url, r.subject) for r in rows]
        return len(ctx.captured_queries), len(rows)

    few, n_few = queries()
    for _ in range(38):
        published_call(office=office)
    many, n_many = queries()
    assert (n_few, n_many) == (2, 40)
    assert many == few <= 4


def test_a_rolled_back_decision_leaves_the_flow_where_it_was():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    with (
        time_machine.travel(call.closes_at + dt.timedelta(minutes=1)),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        call_close(call=call, by=staff)
        assert node_names(call) == {"formal_checks"}
        raise RuntimeError("crash after the decision, before commit")
    assert node_names(call) == {"close_window"}


def test_the_scheduler_finishes_the_objection_step_when_the_notice_period_ends():
    from notifications.scheduler import run_once

    world = Notice()
    assert node_names(world.call) == {"answer_objections"}
    with time_machine.travel(world.after_notice):
        results = run_once()
    assert results["flows"] == 1
    assert node_names(world.call) == {"open_countersign"}
