"""The approval moves (issue 8) on the selection flow's tasks, through the services: each is
audited, refused for the wrong person or state, and leaves the flow deciding what comes next."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Notification
from processes import engine, moves
from processes.models import AddedSignState, Delegation, ItemCopy, SignPosition
from tests.factories import OfficeFactory, OrganisationFactory, UserFactory, member
from tests.processes.helpers import Notice, open_steps, open_task
from workflow.choices import CallState, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent
from workflow.services.applications import application_approve
from workflow.services.calls import call_decide

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


@pytest.fixture
def world():
    world = Notice()
    with time_machine.travel(world.after_notice, tick=True):
        world.countersign_all()
        yield world


def test_hand_over_goes_to_a_colleague_with_the_same_role_only(world):
    director_task = open_task(world.call, "director_approval")
    deputy = member(Role.OFFICE_DIRECTOR, world.call.office)
    with pytest.raises(Invalid):
        moves.task_hand_over(task=director_task, by=world.director, to=world.staff, reason="出差")
    with pytest.raises(NotPermitted):
        moves.task_hand_over(task=director_task, by=world.staff, to=deputy, reason="出差")
    moves.task_hand_over(
        task=director_task, by=world.director, to=deputy, reason="出差，请代为审批。"
    )
    assert [r.task.pk for r in engine.inbox(deputy)] == [director_task.pk]
    assert engine.inbox(world.director) == []
    (event,) = events("task.hand_over")
    assert event.actor_id == world.director.pk and event.reason == "出差，请代为审批。"
    director_task.refresh_from_db()
    assert director_task.data["original_assignee"] == world.director.pk


def test_urging_notifies_the_assignee_at_once_and_is_counted(world):
    task = open_task(world.call, "director_approval")
    with pytest.raises(NotPermitted):
        moves.task_urge(task=task, by=member(Role.OFFICE_STAFF, OfficeFactory()))
    moves.task_urge(task=task, by=world.staff, note="请尽快审批。")
    moves.task_urge(task=task, by=world.staff)
    task.refresh_from_db()
    assert task.data["urges"] == 2
    assert Notification.objects.filter(recipient=world.director, kind=Kind.TASK_URGED).count() == 2
    assert len(events("task.urge")) == 2


def test_copy_to_readers_of_the_office_and_its_departments_only(world):
    task = open_task(world.call, "director_approval")
    approver = world.approvers[0]
    moves.item_copy(task=task, by=world.director, recipients=[approver], note="请知悉。")
    assert [c.process_id for c in moves.copies_for(approver)] == [task.process_id]
    assert moves.may_read(approver, task.process)
    outsider = member(Role.APPLICANT, OrganisationFactory())
    with pytest.raises(Invalid):
        moves.item_copy(task=task, by=world.director, recipients=[outsider])
    assert not moves.may_read(outsider, task.process)
    assert ItemCopy.objects.count() == 1


def test_return_to_an_earlier_step_holds_it_until_sent_on_then_the_flow_comes_back(world):
    task = open_task(world.call, "director_approval")
    names = [t.flow_task.name for t in moves.earlier_steps(task)]
    assert "open_countersign" in names and "close_window" in names and "start" not in names
    with pytest.raises(Invalid):
        moves.task_return(task=task, by=world.director, to_step="start", reason="x")
    with pytest.raises(NotPermitted):
        moves.task_return(task=task, by=world.staff, to_step="open_countersign", reason="x")
    returned = moves.task_return(
        task=task,
        by=world.director,
        to_step="open_countersign",
        reason="请补充资金来源说明后重新会签。",
    )
    assert open_steps(world.call) == {"open_countersign"}
    assert returned.owner_id == world.staff.pk  # back to the person who did that step
    assert returned.data["returned"]["reason"] == "请补充资金来源说明后重新会签。"
    # Held: a sync does not move it on although its work (a round) is done.
    world.sync()
    assert open_steps(world.call) == {"open_countersign"}
    moves.task_send_on(task=returned, by=world.staff)
    assert open_steps(world.call) == {"director_approval"}
    assert [e.diff["to_step"] for e in events("task.return")] == ["open_countersign"]


def test_a_parallel_countersign_task_cannot_be_returned_alone():
    world = Notice()
    with time_machine.travel(world.after_notice, tick=True):
        world.sync()
        from workflow.services.countersign import countersign_open

        countersign_open(call=world.call, by=world.staff)
        task = engine.inbox(world.approvers[0])[0].task
        with pytest.raises(Conflict):
            moves.task_return(
                task=task, by=world.approvers[0], to_step="open_countersign", reason="x"
            )


def test_a_signer_added_before_the_step_blocks_its_decision_until_they_sign(world):
    task = open_task(world.call, "director_approval")
    finance = world.departments[1]
    signer = moves.signer_add(
        task=task,
        by=world.director,
        position=SignPosition.BEFORE,
        department=finance,
        reason="涉及财政资金，请财政部门先行签署。",
    )
    application_approve(application=world.winner, by=world.director)
    with pytest.raises(Conflict) as refused:
        call_decide(call=world.call, by=world.director)
    assert finance.name in refused.value.message
    world.call.refresh_from_db()
    assert world.call.state == CallState.PUBLICITY  # the decision rolled back
    assert [s.pk for s in moves.signs_waiting(world.approvers[1])] == [signer.pk]
    moves.signer_sign(signer=signer, by=world.approvers[1], agree=True, opinion="同意。")
    call_decide(call=world.call, by=world.director)
    assert engine.processes_of(world.call).get().status == "DONE"


def test_a_signer_added_after_the_step_signs_once_its_work_is_done(world):
    task = open_task(world.call, "director_approval")
    reader = member(Role.OFFICE_STAFF, world.call.office)
    signer = moves.signer_add(
        task=task, by=world.director, position=SignPosition.AFTER, user=reader, reason="复核"
    )
    with pytest.raises(Conflict):
        moves.signer_sign(signer=signer, by=reader, agree=True, opinion="同意。")
    application_approve(application=world.winner, by=world.director)
    call_decide(call=world.call, by=world.director)
    assert open_steps(world.call) == {"director_approval"}  # waits for the signature
    with pytest.raises(NotPermitted):
        moves.signer_sign(signer=signer, by=world.staff, agree=True, opinion="同意。")
    moves.signer_sign(signer=signer, by=reader, agree=True, opinion="已复核，同意。")
    signer.refresh_from_db()
    assert signer.state == AddedSignState.AGREED
    assert engine.processes_of(world.call).get().status == "DONE"


def test_absence_delegation_routes_new_tasks_and_lends_the_role_for_them_only():
    world = Notice()
    deputy = world.staff
    today = timezone.localdate()
    with pytest.raises(Invalid):
        moves.delegation_create(
            by=world.director, delegate=UserFactory(), starts_on=today, ends_on=today
        )
    delegation = moves.delegation_create(
        by=world.director,
        delegate=deputy,
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
        reason="出国考察",
    )
    assert events("delegation.create")[0].diff["delegate"] == deputy.pk
    with time_machine.travel(world.after_notice, tick=True):
        world.countersign_all()
        task = open_task(world.call, "director_approval")
        assert task.owner_id == deputy.pk and task.data["acting_for"] == world.director.pk
        assert [r.task.pk for r in engine.inbox(deputy)] == [task.pk]
        # The delegate may not hand it on: the delegation does not allow it.
        colleague = member(Role.OFFICE_DIRECTOR, world.call.office)
        with pytest.raises(NotPermitted):
            moves.task_hand_over(task=task, by=deputy, to=colleague, reason="x")
        application_approve(application=world.winner, by=deputy)
        call_decide(call=world.call, by=deputy)
        assert engine.processes_of(world.call).get().status == "DONE"
        # With the task done, the borrowed role is gone.
        assert not moves.acts_as_delegate(
            deputy, Role.OFFICE_DIRECTOR, office_id=world.call.office_id
        )
    moves.delegation_revoke(delegation=delegation, by=world.director)
    assert Delegation.objects.get().revoked_at is not None


def test_a_delegation_routes_only_tasks_created_within_its_dates():
    world = Notice()
    day = timezone.localtime(world.after_notice).date()
    moves.delegation_create(
        by=world.director,
        delegate=world.staff,
        starts_on=day + dt.timedelta(days=1),
        ends_on=day + dt.timedelta(days=5),
    )
    with time_machine.travel(world.after_notice, tick=True):
        world.countersign_all()
        task = open_task(world.call, "director_approval")
    assert task.owner_id is None  # created the day before the absence begins
    assert [r.task.pk for r in engine.inbox(world.director)] == [task.pk]
    assert engine.inbox(world.staff) == []
